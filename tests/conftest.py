"""Shared fixtures and the CI rule: under CI=true any skipped test fails the run."""

import os
import shutil

import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import translation

IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def pytest_configure(config):
    from core.i18n import compile_all

    compile_all()  # tests never run against a stale .mo (compiling takes a few milliseconds)
    db = settings.DATABASES["default"]
    print(
        f"\nJishi test run: database={db['ENGINE'].rsplit('.', 1)[-1]} "
        f"cache={settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]} "
        f"channel_layer={settings.CHANNEL_LAYERS['default']['BACKEND'].rsplit('.', 1)[-1]} "
        f"broker={settings.CELERY_BROKER_URL.split('://', 1)[0]}"
    )


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    skipped = terminalreporter.stats.get("skipped", [])
    if IN_CI and skipped:
        terminalreporter.write_line(f"CI=true: {len(skipped)} test(s) skipped; skips are failures in CI.", red=True)


def pytest_sessionfinish(session, exitstatus):
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if IN_CI and reporter and reporter.stats.get("skipped"):
        session.exitstatus = 1


@pytest.fixture(autouse=True)
def _clear_cache():
    """Each test starts with an empty cache (throttles, cached pages), and no key asked before
    (``core.cache.asked_before``: what a search page's store waits for)."""
    from core.cache import _asked

    cache.clear()
    _asked.clear()
    yield


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in LANGUAGE_CODE: a request through LocaleMiddleware leaves its language
    active in the thread, which would otherwise leak into the next test's service calls."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture
def redis_url():
    """The real Redis of this run; skips (with the reason printed) when REDIS_URL is unset."""
    if not settings.REDIS_URL:
        pytest.skip("REDIS_URL is not set: this test needs a real Redis")
    return settings.REDIS_URL


@pytest.fixture
def no_prepared_statements():
    """A database connection that holds no prepared statement yet: ``core.queries`` prepares at
    most ``MAX_PREPARED`` per connection (then sends SQL as text), and a test run's connection
    may hold that many already."""
    from django.db import connection

    if connection.vendor == "postgresql":
        connection.ensure_connection()
        connection.connection.execute("DEALLOCATE ALL")
        connection.connection.__dict__["jishi_prepared"] = set()


@pytest.fixture
def postgres():
    """Skip unless the database is PostgreSQL (row-level concurrency tests need it)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("DATABASE_URL is not PostgreSQL: this concurrency test needs real row locks")


@pytest.fixture
def user(db):
    from tests.community.factories import UserFactory

    return UserFactory()


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """Hash test passwords with a fast hasher (PBKDF2 takes ~0.5 s a user here); production
    settings are unchanged."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


#: Every queue a task is routed to (``CELERY_TASK_ROUTES``), and the default one.
CELERY_QUEUES = sorted(
    {settings.CELERY_TASK_DEFAULT_QUEUE} | {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
)


@pytest.fixture
def celery_worker():
    """The one real Celery worker of the tests (in a thread) on the configured broker — Redis in
    CI — consuming every queue. Messages left in the broker by earlier tests (on_commit tasks of
    transactional tests with no worker running) are purged first, so a test waits only for its
    own tasks. Wait for what it does with ``tests.concurrency.wait_for``. One worker per test:
    it stops (finishing its current task) before the test's database is flushed, so no task of
    one test runs into the next test's rows or its teardown."""
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    with app.connection_for_write() as conn:
        channel = conn.default_channel
        for queue in CELERY_QUEUES:
            try:
                channel.queue_purge(queue)
            except Exception:  # noqa: BLE001 - a queue that was never declared has nothing to purge
                pass
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10, queues=CELERY_QUEUES):
        yield


@pytest.fixture
def pg_wire(postgres):
    """The queries this test's database connection sends, read off the wire (libpq's trace of the
    protocol: each ``Query`` message is one round trip, psycopg's own ``BEGIN`` and ``COMMIT``
    included): each call returns the texts of those sent since the previous call."""
    import re
    import tempfile

    from django.db import connection
    from psycopg import pq

    connection.ensure_connection()
    pgconn = connection.connection.pgconn
    trace = tempfile.TemporaryFile("w+")
    pgconn.trace(trace.fileno())
    pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)

    seen = [0]

    def queries() -> list[str]:
        trace.flush()
        trace.seek(0)
        sent = re.findall(r'^F\t\d+\tQuery\t "(.*?)"\n(?=[FB]\t|\Z)', trace.read(), re.M | re.S)
        new, seen[0] = sent[seen[0] :], len(sent)
        return new

    yield queries
    pgconn.untrace()
    trace.close()
