"""ASGI entry point: WebSockets (and, for ``make run``, HTTP too).

``JISHI_ASGI`` tells the settings to use the psycopg connection pool: persistent connections
leak under ASGI (see docs/architecture.md).
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("JISHI_ASGI", "1")

from django.core.asgi import get_asgi_application  # noqa: E402

django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from config.routing import websocket_urlpatterns  # noqa: E402
from core.realtime import websocket_application  # noqa: E402

# WebSockets: foreign Origins refused, then session cookie or "Authorization: Token <key>".
application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": websocket_application(URLRouter(websocket_urlpatterns)),
    }
)
