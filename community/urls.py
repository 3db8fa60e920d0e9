from django.urls import path

from community import views

app_name = "community"

urlpatterns = [
    # people and follows
    path("u/<str:username>/", views.profile, name="profile"),
    path("u/<str:username>/followers/", views.people_list, {"kind": "followers"}, name="followers"),
    path("u/<str:username>/following/", views.people_list, {"kind": "following"}, name="following"),
    path("u/<str:username>/follow/", views.user_follow_toggle, name="user_follow"),
    path("shops/<slug:slug>/follow/", views.shop_follow_toggle, name="shop_follow"),
    # inbox
    path("notifications/", views.inbox, name="inbox"),
    path("notifications/read-all/", views.notifications_read_all, name="notifications_read_all"),
    path("notifications/<int:pk>/open/", views.notification_open, name="notification_open"),
    # reports (moderation)
    path("report/<str:kind>/<int:object_id>/", views.report, name="report"),
    # activity
    path("me/activity/", views.my_activity, name="activity"),
    path("me/activity/clear/", views.my_activity_clear, name="activity_clear"),
    # questions and answers
    path("products/<int:product_id>/questions/", views.product_questions, name="product_questions"),
    path("questions/", views.questions_home, name="questions"),
    path("questions/to-answer/", views.questions_to_answer, name="to_answer"),
    path("questions/<int:pk>/", views.question_detail, name="question"),
    path("questions/<int:pk>/edit/", views.question_edit, name="question_edit"),
    path("questions/<int:pk>/delete/", views.question_delete, name="question_delete"),
    path("answers/<int:pk>/edit/", views.answer_edit, name="answer_edit"),
    path("answers/<int:pk>/delete/", views.answer_delete, name="answer_delete"),
    path("answers/<int:pk>/vote/", views.answer_vote, name="answer_vote"),
    path("answers/<int:pk>/accept/", views.answer_accept, name="answer_accept"),
]
