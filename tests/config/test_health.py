import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


def test_healthz_reports_every_component_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["components"]) == {"database", "cache", "channel_layer", "broker"}
    assert all(c["status"] == "ok" for c in body["components"].values())


def test_healthz_is_503_when_the_cache_is_down(client):
    # given a cache pointing at a port where nothing listens (a really unreachable Redis)
    dead = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}}
    with override_settings(CACHES=dead):
        response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["components"]["cache"]["status"] == "down"
    assert body["components"]["database"]["status"] == "ok"


def test_healthz_is_503_when_the_broker_is_down(client):
    from config.celery import app

    original = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = original
    assert response.status_code == 503
    assert response.json()["components"]["broker"]["status"] == "down"
