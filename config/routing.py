"""WebSocket URL routes (wrapped by core.realtime.websocket_application in config/asgi.py)."""

from django.urls import path

from config.consumers import PingConsumer
from livestream.routing import websocket_urlpatterns as live_patterns

websocket_urlpatterns = [
    path("ws/ping/", PingConsumer.as_asgi()),
    *live_patterns,
]
