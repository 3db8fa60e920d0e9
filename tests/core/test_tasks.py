"""Celery conventions (core/tasks.py, settings.CELERY_TASK_ROUTES): every task has the one retry
policy and a route, beat schedules pin no queue, docs/architecture.md lists every periodic task
with its schedule and queue, a transient failure is retried by a real worker, and a broker that
is down does not fail the caller of enqueue_on_commit."""

import importlib
import logging
import re
from pathlib import Path

import pytest
from celery import Celery
from django.apps import apps as django_apps
from django.conf import settings
from django.db import OperationalError, transaction
from django_celery_beat.models import PeriodicTask

from community.models import User
from config.celery import app
from core.tasks import TRANSIENT, RetryingTask, enqueue_on_commit
from tests.community.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]
APPS = ("core", "marketplace", "community", "headline", "livestream")


def our_tasks() -> dict:
    app.loader.import_default_modules()
    return {name: task for name, task in app.tasks.items() if name.split(".")[0] in APPS}


def queue_of(task_name: str) -> str:
    return app.amqp.router.route({}, task_name, (), {})["queue"].name


def test_every_task_has_the_retry_policy_and_a_route():
    tasks = our_tasks()
    assert len(tasks) >= 13
    for name, task in tasks.items():
        assert isinstance(task, RetryingTask), name
        assert task.autoretry_for == TRANSIENT and task.max_retries == 5 and task.retry_backoff, name
        assert name in settings.CELERY_TASK_ROUTES, f"{name} has no line in CELERY_TASK_ROUTES"
    # and every route names a task that exists (a renamed task would silently fall to "default")
    assert set(settings.CELERY_TASK_ROUTES) <= set(tasks)


def test_workers_consume_every_routed_queue():
    queues = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()} | {settings.CELERY_TASK_DEFAULT_QUEUE}
    procfile = (ROOT / "Procfile").read_text()
    readme = (ROOT / "README.md").read_text()
    for text in (procfile, readme):
        consumed = re.search(r"celery -A config worker.*-Q ([\w,]+)", text).group(1).split(",")
        assert set(consumed) == queues


def test_order_expiry_runs_on_the_sales_queue_the_docs_name():
    assert queue_of("marketplace.tasks.sales.orders_expire_overdue") == "sales"


def _seed_schedules():
    """Run every data migration that seeds beat schedules (a transactional test elsewhere may
    have flushed the rows); they are idempotent."""
    for app_label in ("marketplace", "community", "headline", "livestream"):
        for path in sorted((ROOT / app_label / "migrations").glob("0*.py")):
            if "PeriodicTask" in path.read_text():
                importlib.import_module(f"{app_label}.migrations.{path.stem}").forwards(django_apps, None)


def _schedule(row: PeriodicTask) -> str:
    if row.interval:
        every, period = row.interval.every, row.interval.period
        if period == "seconds":
            return f"every {every} s"
        if every == 1:
            return {"minutes": "every minute", "hours": "hourly", "days": "daily"}[period]
        return f"every {every} {period}"
    cron = row.crontab
    if cron.hour == "*":
        return f"hourly at :{int(cron.minute):02}"
    return f"daily at {int(cron.hour):02}:{int(cron.minute):02} UTC"


@pytest.mark.django_db
def test_the_docs_table_lists_every_periodic_task_with_its_schedule_and_queue():
    _seed_schedules()
    docs = (ROOT / "docs" / "architecture.md").read_text()
    rows = {
        cells[0]: cells[1:]
        for line in docs.splitlines()
        if line.startswith("| ") and len(cells := [c.strip() for c in line.strip("|").split("|")]) == 4
    }
    schedules = PeriodicTask.objects.exclude(task__startswith="celery.").select_related("interval", "crontab")
    assert schedules.count() >= 8
    for row in schedules:
        assert row.queue is None, f"{row.name} pins queue {row.queue!r}: route it in CELERY_TASK_ROUTES"
        assert row.name in rows, f"{row.name} is missing from the periodic-task table"
        task, schedule, queue = rows[row.name]
        assert task.startswith(f"`{row.task}`"), row.name
        assert schedule.startswith(_schedule(row)), (row.name, schedule, _schedule(row))
        assert queue == f"`{queue_of(row.task)}`", row.name


attempts: dict[str, int] = {}


@app.task(name="tests.core.flaky")
def flaky(key: str) -> str:
    """Fails with a transient database error the first time it runs for ``key``."""
    attempts[key] = attempts.get(key, 0) + 1
    if attempts[key] == 1:
        raise OperationalError("the database went away for a moment")
    return f"done after {attempts[key]} attempts"


@pytest.mark.django_db(transaction=True)
def test_a_transient_failure_is_retried_by_the_worker(redis_url, celery_worker):
    # when a task fails transiently on its first run in the real worker
    result = flaky.delay("once")
    # then the policy retries it (after a backoff of at most a second) and it succeeds
    assert result.get(timeout=30) == "done after 2 attempts"


@pytest.mark.django_db(transaction=True)
def test_a_broker_that_is_down_does_not_fail_the_committed_work(caplog):
    # given a task whose broker refuses connections
    unreachable = Celery("unreachable", broker="redis://127.0.0.1:1/0", set_as_current=False)
    unreachable.conf.broker_connection_timeout = 1
    unreachable.conf.task_publish_retry = False

    @unreachable.task(name="tests.core.unreachable")
    def notify(user_id):
        return user_id

    caplog.set_level(logging.ERROR)
    # when a service commits a row and queues work about it
    with transaction.atomic():
        user = UserFactory()
        enqueue_on_commit(notify, user.pk)
    # then the caller got no error, the row stands, and the failure is in the log with its cause
    assert User.objects.filter(pk=user.pk).exists()
    failures = [r for r in caplog.records if "on_commit" in r.getMessage()]
    assert len(failures) == 1
    assert failures[0].exc_info is not None
