"""``GET /healthz``: per-component status; 503 when any component is down."""

import time
import uuid

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection
from django.http import JsonResponse

from config.celery import app as celery_app
from core.cache import cache_check


def _check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connection.vendor


def _check_channel_layer():
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer configured")
    group = f"healthz.{uuid.uuid4().hex}"
    async_to_sync(layer.group_send)(group, {"type": "healthz.ping"})
    return layer.__class__.__name__


def _check_broker():
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
        return conn.transport_cls if isinstance(conn.transport_cls, str) else conn.transport.driver_name


CHECKS = {
    "database": _check_database,
    "cache": cache_check,
    "channel_layer": _check_channel_layer,
    "broker": _check_broker,
}


def healthz(request):
    components, healthy = {}, True
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            detail = check()
            components[name] = {"status": "ok", "backend": str(detail)}
        except Exception as exc:  # noqa: BLE001 - any failure means "down"
            healthy = False
            components[name] = {"status": "down", "error": f"{exc.__class__.__name__}: {exc}"[:300]}
        components[name]["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return JsonResponse(
        {"status": "ok" if healthy else "down", "components": components}, status=200 if healthy else 503
    )
