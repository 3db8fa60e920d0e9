"""Community API routes. Included before marketplace's under /api/v1/, so the explicit
``shops/<slug>/follow/`` here wins over the marketplace shop router."""

from django.urls import path

from community.api import accounts, moderation, notifications, people, qa

urlpatterns = [
    path("auth/register/", accounts.RegisterView.as_view(), name="api-register"),
    path("auth/token/", accounts.TokenView.as_view(), name="api-token"),
    path("auth/token/revoke/", accounts.TokenRevokeView.as_view(), name="api-token-revoke"),
    path("auth/password/", accounts.PasswordChangeView.as_view(), name="api-password-change"),
    path("me/", accounts.MeView.as_view(), name="api-me"),
    path("me/activity/", people.MyActivityView.as_view(), name="api-my-activity"),
    # people and follows
    path("users/<str:username>/", people.UserProfileView.as_view(), name="api-user"),
    path("users/<str:username>/follow/", people.UserFollowView.as_view(), name="api-user-follow"),
    path(
        "users/<str:username>/followers/",
        people.FollowerListView.as_view(kind="followers"),
        name="api-user-followers",
    ),
    path(
        "users/<str:username>/following/",
        people.FollowerListView.as_view(kind="following"),
        name="api-user-following",
    ),
    path("shops/<slug:slug>/follow/", people.ShopFollowView.as_view(), name="api-shop-follow"),
    # inbox
    path("notifications/", notifications.NotificationListView.as_view(), name="api-notifications"),
    path("notifications/read-all/", notifications.NotificationReadAllView.as_view(), name="api-notifications-read-all"),
    path("notifications/<int:pk>/read/", notifications.NotificationReadView.as_view(), name="api-notification-read"),
    # moderation
    path("reports/", moderation.ReportCreateView.as_view(), name="api-reports"),
    # questions and answers
    path("questions/", qa.QuestionListView.as_view(), name="api-questions"),
    path("questions/for-you/", qa.QuestionsForYouView.as_view(), name="api-questions-for-you"),
    path("questions/to-answer/", qa.QuestionsToAnswerView.as_view(), name="api-questions-to-answer"),
    path("questions/<int:pk>/", qa.QuestionDetailView.as_view(), name="api-question"),
    path("questions/<int:pk>/answers/", qa.AnswerListView.as_view(), name="api-question-answers"),
    path("answers/<int:pk>/", qa.AnswerDetailView.as_view(), name="api-answer"),
    path("answers/<int:pk>/vote/", qa.AnswerVoteView.as_view(), name="api-answer-vote"),
    path("answers/<int:pk>/accept/", qa.AnswerAcceptView.as_view(), name="api-answer-accept"),
]
