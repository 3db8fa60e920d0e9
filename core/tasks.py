"""Celery conventions every app's tasks follow (docs/architecture.md, "Celery").

* **One retry policy**: :class:`RetryingTask` is the Celery app's default task class
  (``config/celery.py``), so every ``@shared_task`` retries on :data:`TRANSIENT` errors with
  exponential backoff and jitter (1, 2, 4, ... s, at most 60 s apart, 5 times). Tasks are
  idempotent, so a retry is always safe. Do not pass ``autoretry_for``/``max_retries`` per task.
* **Queues are chosen in settings** (``CELERY_TASK_ROUTES``, one line per task), never at call
  sites or in beat schedules.
* **Sent after commit, robustly**: a service queues work with :func:`enqueue_on_commit`, so the
  task never sees uncommitted rows and a broker that is down cannot turn the caller's already
  committed work into an error (the failure is logged; periodic jobs catch up).
"""

import smtplib
import socket

import kombu.exceptions
import redis.exceptions
from celery import Task
from django.db import InterfaceError, OperationalError, transaction

#: Errors that may pass by themselves: the database, Redis or the broker unreachable or
#: restarting, a network or mail server hiccup.
TRANSIENT = (
    OperationalError,
    InterfaceError,
    ConnectionError,
    TimeoutError,
    socket.gaierror,
    smtplib.SMTPException,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    kombu.exceptions.OperationalError,
)


class RetryingTask(Task):
    """The base class of every Jishi task: retried on :data:`TRANSIENT` errors with backoff."""

    autoretry_for = TRANSIENT
    retry_backoff = True
    retry_backoff_max = 60
    retry_jitter = True
    max_retries = 5


def enqueue_on_commit(task, *args, countdown: int | None = None, **kwargs) -> None:
    """Queue ``task(*args, **kwargs)`` when the current transaction commits (at once outside
    one). Its queue comes from ``CELERY_TASK_ROUTES``. If the broker cannot take it, the error
    is logged with its traceback and the caller carries on (``robust``)."""
    transaction.on_commit(lambda: task.apply_async(args, kwargs, countdown=countdown), robust=True)
