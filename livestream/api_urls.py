"""Live-room API routes under /api/v1/ (the media-server hooks are page URLs: livestream/urls.py)."""

from django.urls import path

from livestream import api

urlpatterns = [
    path("rooms/", api.RoomListView.as_view(), name="api-rooms"),
    path("rooms/<int:pk>/", api.RoomDetailView.as_view(), name="api-room"),
    path("rooms/<int:pk>/products/", api.RoomProductsView.as_view(), name="api-room-products"),
    path("rooms/<int:pk>/remind/", api.RoomRemindView.as_view(), name="api-room-remind"),
    path("rooms/<int:pk>/stats/", api.RoomStatsView.as_view(), name="api-room-stats"),
    path("shows/", api.ShowListView.as_view(), name="api-shows"),
    path("shows/<slug:slug>/", api.ShowDetailView.as_view(), name="api-show"),
    path("me/stream-key/", api.StreamKeyView.as_view(), name="api-stream-key"),
]
