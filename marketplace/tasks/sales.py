"""Celery tasks for sales: the sale clock, order expiry and leaderboards, run by django-celery-beat
(schedules seeded by a data migration and editable in admin; all on the ``sales`` queue by
``CELERY_TASK_ROUTES``). Each is thin, idempotent and retried with backoff on transient errors
(``core.tasks.RetryingTask``). None uses an ETA: they poll, so a
missed beat only delays side effects, never prices (which are read-time)."""

from celery import shared_task

from marketplace.services import orders as order_services
from marketplace.services import sales as sale_services

__all__ = ["orders_expire_overdue", "sale_clock_tick", "sale_rankings_recompute"]


@shared_task
def sale_clock_tick() -> dict:
    """Remind, open, close and warm up sales that are due (every few seconds)."""
    result = sale_services.sale_clock_tick()
    return {"reminded": result.reminded, "opened": result.opened, "closed": result.closed, "warmed": result.warmed}


@shared_task
def orders_expire_overdue() -> int:
    """Expire unpaid orders past their deadline, giving stock, flash quantity and vouchers back
    exactly once (every minute)."""
    return order_services.order_expire_overdue()


@shared_task
def sale_rankings_recompute() -> list[int]:
    """Recompute the leaderboards of live and recently ended sales (every few minutes)."""
    return sale_services.sale_rankings_recompute_active()
