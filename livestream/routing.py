"""WebSocket routes of live rooms (config/routing.py includes them)."""

from django.urls import path

from livestream.consumers import RoomConsumer

websocket_urlpatterns = [
    path("ws/live/<int:room_id>/", RoomConsumer.as_asgi()),
]
