"""The Celery app. Tasks live in each app's ``tasks.py``; schedules live in django-celery-beat
(seeded by a data migration, editable in admin); queues in ``settings.CELERY_TASK_ROUTES``.
Every task gets the one retry policy of ``core.tasks.RetryingTask``."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("jishi", task_cls="core.tasks:RetryingTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
