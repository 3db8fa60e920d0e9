from django.urls import path

from headline import api

urlpatterns = [
    path("topics/", api.TopicListView.as_view(), name="api-topics"),
    path("topics/today/", api.TopicTodayView.as_view(), name="api-topic-today"),
    path("topics/<str:day>/stories/", api.TopicStoriesView.as_view(), name="api-topic-stories"),
    path("stories/", api.StoryListView.as_view(), name="api-stories"),
    path("stories/<int:pk>/", api.StoryDetailView.as_view(), name="api-story"),
    path("stories/<int:pk>/like/", api.StoryLikeView.as_view(), name="api-story-like"),
    path("stories/<int:pk>/comments/", api.StoryCommentsView.as_view(), name="api-story-comments"),
    path("stories/<int:pk>/images/", api.StoryImagesView.as_view(), name="api-story-images"),
    path("feed/following/", api.FollowingFeedView.as_view(), name="api-feed-following"),
    path("feed/for-you/", api.ForYouFeedView.as_view(), name="api-feed-for-you"),
    path("feed/trending/", api.TrendingFeedView.as_view(), name="api-feed-trending"),
]
