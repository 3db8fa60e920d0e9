"""A task round-trips through the configured broker (Redis in CI) and a real worker."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from community.tasks import clear_expired_sessions
from tests.conftest import IN_CI

pytestmark = pytest.mark.django_db(transaction=True)


def test_broker_is_redis_in_ci():
    if IN_CI:
        assert settings.CELERY_BROKER_URL.startswith("redis://")


def test_clear_expired_sessions_round_trips_through_a_real_worker(celery_worker):
    # given one expired and one live session
    expired = SessionStore()
    expired.create()
    Session.objects.filter(session_key=expired.session_key).update(expire_date=timezone.now() - timedelta(days=1))
    live = SessionStore()
    live.create()

    # when the task is sent through the broker and run by the worker
    result = clear_expired_sessions.delay()

    # then the worker's answer comes back and only the expired session is gone
    assert result.get(timeout=30) == 1
    assert not Session.objects.filter(session_key=expired.session_key).exists()
    assert Session.objects.filter(session_key=live.session_key).exists()
