"""Celery tasks, by sub-domain. Each task takes ids, calls one service, and is idempotent."""

from marketplace.tasks.catalogue import *  # noqa: F403
from marketplace.tasks.orders import *  # noqa: F403
from marketplace.tasks.sales import *  # noqa: F403
