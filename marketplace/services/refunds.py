"""After-sale: refunds before shipping and returns after delivery (a :class:`RefundRequest` each).

::

    paid ──refund requested (buyer)──▶ refund_requested ──approved (seller, or automatically)──▶ refunded
    delivered | completed ──return requested (buyer, within ORDER_RETURN_WINDOW_DAYS of delivery)──▶
        return_requested ──accepted (seller)──▶ returned
                         └─refused (seller, with a reason)──▶ back to delivered | completed

The guards are the lifecycle's (:mod:`marketplace.services.orders`): every order step is one
conditional ``UPDATE ... WHERE status = <from>``, and deciding a request is one conditional
``UPDATE ... WHERE status = 'requested'`` on the request row. So a refund racing the seller's
"shipped" ends in exactly one of the two (both flip from ``paid``), a seller approving while the
auto-approval job runs refunds once, and what the order took — stock, flash units, the buyer's
deal units, the voucher — comes back exactly once, through the same release as cancellation and
expiry. The payment backend's refund is called inside the deciding transaction, before the hot
rows are touched: if it fails, nothing changes and the request stays open (the job retries).
Each step tells the other side (``order_event``, turned into inbox notifications by community).
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from core.errors import ApplicationError
from marketplace.errors import OrderErrorCode
from marketplace.models import Order, OrderStatus, RefundDecision, RefundKind, RefundRequest, RefundStatus
from marketplace.payments import PaymentBackend, get_payment_backend
from marketplace.services.orders import (
    _flip,
    _refused,
    _release,
    _require,
    order_announce_event_on_commit,
    order_cancel_by,
    reason_clean,
)

#: The order status a request moves the order to, and the one granting it moves it to.
_REQUESTED = {RefundKind.REFUND: OrderStatus.REFUND_REQUESTED, RefundKind.RETURN: OrderStatus.RETURN_REQUESTED}
_GRANTED = {RefundKind.REFUND: OrderStatus.REFUNDED, RefundKind.RETURN: OrderStatus.RETURNED}


def _open_request(order: Order, kind: str) -> RefundRequest:
    request = RefundRequest.objects.filter(order=order, kind=kind, status=RefundStatus.REQUESTED).first()
    if request is None:
        raise _refused(order, pgettext("order cannot be …", "decided on"))
    return request


def _grant(request: RefundRequest, *, by: str, backend: PaymentBackend | None = None) -> bool:
    """Grant ``request``: close it, move its order to refunded/returned, send the money back
    through the payment backend and release what the order took. False (nothing done) if it was
    decided already. Call inside a transaction."""
    now = timezone.now()
    decided = RefundRequest.objects.filter(pk=request.pk, status=RefundStatus.REQUESTED).update(
        status=RefundStatus.APPROVED, decided_by=by, decided_at=now
    )
    if not decided:
        return False
    order = request.order
    kind = request.kind
    if not _flip(order, to=_GRANTED[kind], frm=_REQUESTED[kind], closed_at=now):
        raise _refused(order, pgettext("order cannot be …", "refunded"))  # not reachable: the request guards it
    backend = backend or get_payment_backend()
    result = backend.refund(reference=order.payment_reference, amount=request.amount, currency=order.currency)
    if not result.ok:  # raising rolls the decision back: the request stays open, to be retried
        raise ApplicationError(
            result.message or _("The payment provider did not accept the refund; please try again later."),
            status=409,
            code=OrderErrorCode.REFUND_FAILED,
        )
    RefundRequest.objects.filter(pk=request.pk).update(refund_reference=result.reference)
    _release(order, reason="refunded" if kind == RefundKind.REFUND else "returned", paid=True)
    request.refresh_from_db()
    return True


@transaction.atomic
def order_refund_request(
    *, order: Order, buyer, reason: str = "", backend: PaymentBackend | None = None
) -> RefundRequest:
    """The buyer asks for their money back on a paid order the seller has not shipped yet. Wins
    or loses against "shipped" on the order row; granted at once when
    ``ORDER_REFUND_AUTO_APPROVE_HOURS`` is 0, else the seller approves it or it is approved
    automatically after that many hours."""
    _require(order.buyer_id == buyer.pk, _("Only the buyer can ask for a refund."))
    reason = reason_clean(reason, required=False)
    if not _flip(order, to=OrderStatus.REFUND_REQUESTED, frm=OrderStatus.PAID):
        if order.status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED):
            raise ApplicationError(
                _("Order #%(number)s has been shipped: once it arrives you can ask to return it.")
                % {"number": order.pk},
                status=409,
                code=OrderErrorCode.ALREADY_SHIPPED,
                extra={"status": order.status},
            )
        raise _refused(order, pgettext("order cannot be …", "refunded"))
    hours = settings.ORDER_REFUND_AUTO_APPROVE_HOURS
    request = RefundRequest.objects.create(
        order=order,
        kind=RefundKind.REFUND,
        reason=reason,
        previous_status=OrderStatus.PAID,
        amount=order.total,
        auto_approve_at=timezone.now() + timedelta(hours=hours),
    )
    if hours <= 0:
        _grant(request, by=RefundDecision.AUTOMATIC, backend=backend)
        order_announce_event_on_commit(order, "refund_auto_approved")
    else:
        order_announce_event_on_commit(order, "refund_requested", reason=reason)
    return request


@transaction.atomic
def order_refund_approve(*, order: Order, seller, backend: PaymentBackend | None = None) -> RefundRequest:
    """The seller approves the buyer's open refund request: money back, units back, buyer told."""
    _require(order.shop.owner_id == seller.pk, _("Only the seller can approve this refund."))
    request = _open_request(order, RefundKind.REFUND)
    if not _grant(request, by=RefundDecision.SELLER, backend=backend):
        raise _refused(order, pgettext("order cannot be …", "refunded"))
    order_announce_event_on_commit(order, "refund_approved")
    return request


def _refund_auto_approve(request_id: int, now: datetime) -> bool:
    with transaction.atomic():
        request = (
            RefundRequest.objects.select_related("order__shop")
            .filter(pk=request_id, status=RefundStatus.REQUESTED, auto_approve_at__lte=now)
            .first()
        )
        if request is None or not _grant(request, by=RefundDecision.AUTOMATIC):
            return False
        order_announce_event_on_commit(request.order, "refund_auto_approved")
        return True


def refunds_auto_approve(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Approve every refund request whose ``auto_approve_at`` has passed (each in its own
    transaction). Returns how many were granted. Safe to run twice or concurrently, and
    alongside a seller approving (the Celery beat job)."""
    now = now or timezone.now()
    due = RefundRequest.objects.filter(
        status=RefundStatus.REQUESTED, kind=RefundKind.REFUND, auto_approve_at__lte=now
    ).order_by("auto_approve_at", "id")
    return sum(_refund_auto_approve(request_id, now) for request_id in due.values_list("pk", flat=True)[:batch_size])


def return_window_closes_at(order: Order) -> datetime | None:
    """When the buyer can no longer ask to return ``order`` (None before delivery)."""
    if order.delivered_at is None:
        return None
    return order.delivered_at + timedelta(days=settings.ORDER_RETURN_WINDOW_DAYS)


@transaction.atomic
def order_return_request(*, order: Order, buyer, reason: str) -> RefundRequest:
    """The buyer asks to return a delivered (or completed) order, with a reason, within
    ``ORDER_RETURN_WINDOW_DAYS`` of delivery. The seller accepts or refuses it."""
    _require(order.buyer_id == buyer.pk, _("Only the buyer can ask to return this order."))
    reason = reason_clean(reason)
    now = timezone.now()
    in_window = Q(delivered_at__gt=now - timedelta(days=settings.ORDER_RETURN_WINDOW_DAYS))
    previous = next(
        (frm for frm in (OrderStatus.DELIVERED, OrderStatus.COMPLETED)
         if _flip(order, to=OrderStatus.RETURN_REQUESTED, frm=frm, also=in_window)),
        None,
    )  # fmt: skip
    if previous is None:
        if order.status in (OrderStatus.DELIVERED, OrderStatus.COMPLETED):
            raise ApplicationError(
                _("Returns are possible for %(days)s days after delivery; that time has passed for order #%(number)s.")
                % {"days": settings.ORDER_RETURN_WINDOW_DAYS, "number": order.pk},
                status=409,
                code=OrderErrorCode.RETURN_WINDOW_CLOSED,
            )
        raise _refused(order, pgettext("order cannot be …", "returned"))
    request = RefundRequest.objects.create(
        order=order, kind=RefundKind.RETURN, reason=reason, previous_status=previous, amount=order.total
    )
    order_announce_event_on_commit(order, "return_requested", reason=reason)
    return request


@transaction.atomic
def order_return_accept(*, order: Order, seller, backend: PaymentBackend | None = None) -> RefundRequest:
    """The seller accepts the return: the money goes back, the items go back into stock."""
    _require(order.shop.owner_id == seller.pk, _("Only the seller can decide on this return."))
    request = _open_request(order, RefundKind.RETURN)
    if not _grant(request, by=RefundDecision.SELLER, backend=backend):
        raise _refused(order, pgettext("order cannot be …", "returned"))
    order_announce_event_on_commit(order, "return_accepted")
    return request


@transaction.atomic
def order_return_refuse(*, order: Order, seller, reason: str) -> RefundRequest:
    """The seller refuses the return, telling the buyer why; the order goes back to where it was."""
    _require(order.shop.owner_id == seller.pk, _("Only the seller can decide on this return."))
    reason = reason_clean(reason)
    request = _open_request(order, RefundKind.RETURN)
    refused = RefundRequest.objects.filter(pk=request.pk, status=RefundStatus.REQUESTED).update(
        status=RefundStatus.REFUSED, response=reason, decided_by=RefundDecision.SELLER, decided_at=timezone.now()
    )
    if not refused or not _flip(order, to=request.previous_status, frm=OrderStatus.RETURN_REQUESTED):
        raise _refused(order, pgettext("order cannot be …", "decided on"))
    order_announce_event_on_commit(order, "return_refused", reason=reason)
    request.refresh_from_db()
    return request


def order_after_sale_act(*, order: Order, user, action: str, reason: str = "") -> RefundRequest | None:
    """Dispatch one after-sale ``action`` for whoever ``user`` is to ``order`` (the API and the
    pages call this): ``refund`` / ``return`` (buyer), ``approve`` (seller: the open refund or
    return), ``refuse`` (seller, a return, with a reason); also ``cancel`` (an unpaid order: the
    buyer, or the seller with a reason). Returns the request (None for ``cancel``)."""
    if action == "cancel":
        order_cancel_by(order=order, user=user, reason=reason)
        return None
    if action == "refund":
        return order_refund_request(order=order, buyer=user, reason=reason)
    if action == "return":
        return order_return_request(order=order, buyer=user, reason=reason)
    if action == "approve":
        if order.status == OrderStatus.RETURN_REQUESTED:
            return order_return_accept(order=order, seller=user)
        return order_refund_approve(order=order, seller=user)
    if action == "refuse":
        return order_return_refuse(order=order, seller=user, reason=reason)
    raise ApplicationError(_("Unknown after-sale action."), code=OrderErrorCode.INVALID_TRANSITION)
