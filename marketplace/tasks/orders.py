"""Celery tasks for orders. Expiry of unpaid orders is ``orders_expire_overdue`` in
``tasks/sales.py`` (the sale clock's beat schedule); it calls ``order_expire_overdue``."""

from celery import shared_task

from marketplace.services import checkout as checkout_services
from marketplace.services import orders as order_services
from marketplace.services import refunds as refund_services

__all__ = ["checkout_requests_prune", "orders_complete_overdue", "refunds_auto_approve"]


@shared_task
def orders_complete_overdue() -> int:
    """Complete orders delivered more than ORDER_AUTO_COMPLETE_DAYS ago (idempotent; hourly)."""
    return order_services.order_complete_overdue()


@shared_task
def checkout_requests_prune() -> int:
    """Forget Idempotency-Key records older than IDEMPOTENCY_KEY_HOURS (idempotent; daily)."""
    return checkout_services.checkout_requests_prune()


@shared_task
def refunds_auto_approve() -> int:
    """Approve refund requests the seller left past ORDER_REFUND_AUTO_APPROVE_HOURS
    (idempotent; every few minutes)."""
    return refund_services.refunds_auto_approve()
