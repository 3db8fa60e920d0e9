from django.urls import path

from headline import views

app_name = "headline"

urlpatterns = [
    path("topics/", views.topic_list, name="topics"),
    path("topics/<str:day>/", views.topic_detail, name="topic"),
    path("stories/new/", views.story_create, name="story_create"),
    path("stories/drafts/", views.story_drafts, name="drafts"),
    path("stories/<int:pk>/", views.story_detail, name="story"),
    path("stories/<int:pk>/edit/", views.story_edit, name="story_edit"),
    path("stories/<int:pk>/delete/", views.story_delete, name="story_delete"),
    path("stories/<int:pk>/like/", views.story_like, name="story_like"),
    path("stories/<int:pk>/comments/", views.comment_post, name="comment_post"),
    path("stories/<int:pk>/go/product/<int:product_id>/", views.story_go, name="story_go_product"),
    path("stories/<int:pk>/go/shop/<int:shop_id>/", views.story_go, name="story_go_shop"),
    path("story-comments/<int:pk>/delete/", views.comment_delete, name="comment_delete"),
    path("feed/following/", views.feed, {"kind": "following"}, name="feed_following"),
    path("feed/for-you/", views.feed, {"kind": "for-you"}, name="feed_for_you"),
    path("feed/trending/", views.feed, {"kind": "trending"}, name="feed_trending"),
]
