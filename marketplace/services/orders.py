"""The order lifecycle, after checkout (:mod:`marketplace.services.checkout`) placed the order.

``pending_payment → paid → shipped → delivered → completed`` and ``pending_payment →
cancelled | expired``. Each step is ``UPDATE ... SET status = <to> WHERE id = ... AND status =
<from>``: the one row that flips is the guard, so cancel/expire give stock, flash units, per-buyer
units and the voucher back exactly once (in checkout's lock order, see that module), and payment
racing expiry ends in exactly one of the two.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from core.cache import bump_on_commit
from core.errors import ApplicationError
from core.signals import send_on_commit
from marketplace.caching import TAG_STOCK, cart_tag, product_tag
from marketplace.errors import OrderErrorCode
from marketplace.models import (
    Deal,
    DealPurchase,
    Order,
    OrderLine,
    OrderStatus,
    Product,
    VoucherClaim,
)
from marketplace.payments import PaymentBackend, get_payment_backend
from marketplace.services.admission import flash_units_return
from marketplace.signals import OrderLineInfo, order_cancelled, order_event, order_paid

#: Days after delivery when an order completes by itself (if the buyer did not review it sooner).
ORDER_AUTO_COMPLETE_DAYS = settings.ORDER_AUTO_COMPLETE_DAYS


def order_announce_on_commit(signal, *, order: Order, lines: Sequence[OrderLine], **extra) -> None:
    """Send ``order_placed`` / ``order_cancelled`` for ``order`` on commit (see marketplace.signals).
    Checkout announces what it placed; :func:`_release` what it closed. ``extra``: the signal's
    other arguments, and ``bump`` (cache tags bumped with it: ``core.signals.send_on_commit``)."""
    send_on_commit(
        signal,
        sender=Order,
        order_id=order.pk,
        buyer_id=order.buyer_id,
        shop_id=order.shop_id,
        lines=tuple(
            OrderLineInfo(line.product_id, line.deal_id, line.quantity, line.unit_price * line.quantity)
            for line in lines
        ),
        **extra,
    )


def _flip(order: Order, *, to: str, frm: str, also: Q | None = None, **fields) -> bool:
    """``UPDATE order SET status = to WHERE id = order.id AND status = frm``: True if it flipped."""
    condition = also if also is not None else Q()
    flipped = Order.objects.filter(condition, pk=order.pk, status=frm).update(status=to, **fields) == 1
    order.refresh_from_db()
    return flipped


def _refused(order: Order, action: str) -> ApplicationError:
    return ApplicationError(
        _("Order #%(number)s is %(status)s, so it cannot be %(action)s.")
        % {"number": order.pk, "status": order.get_status_display().lower(), "action": action},
        status=409,
        code=OrderErrorCode.INVALID_TRANSITION,
        extra={"status": order.status},
    )


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ApplicationError(message, status=403, code=OrderErrorCode.PERMISSION_DENIED)


def order_announce_event_on_commit(order: Order, event: str, *, reason: str = "") -> None:
    """Send ``order_event`` (a step the other side is told about, with what the acting side
    wrote) for ``order`` on commit."""
    send_on_commit(
        order_event,
        sender=Order,
        order_id=order.pk,
        buyer_id=order.buyer_id,
        seller_id=order.shop.owner_id,
        event=event,
        reason=reason,
    )


def _release(order: Order, *, reason: str, paid: bool = False) -> None:
    """Give back what the order took, in checkout's lock order (the buyer's rows, then deals by
    id, then products by id), and send ``order_cancelled`` with ``reason`` on commit. A ``paid``
    order (refunded or returned) also leaves its products' ``sales_count``. Call only in the
    transaction whose status flip closed it — that flip is what makes this happen once."""
    closed = list(
        OrderLine.objects.filter(order=order).only("product_id", "deal_id", "quantity", "unit_price").order_by("pk")
    )
    order_announce_on_commit(order_cancelled, order=order, lines=closed, reason=reason)
    lines = sorted((line.product_id, line.deal_id, line.quantity) for line in closed)
    dealt = sorted((line for line in lines if line[1]), key=lambda line: line[1])
    for _product_id, deal_id, quantity in dealt:
        DealPurchase.objects.filter(deal_id=deal_id, buyer_id=order.buyer_id, quantity__gte=quantity).update(
            quantity=F("quantity") - quantity
        )
    if order.voucher_claim_id:
        VoucherClaim.objects.filter(pk=order.voucher_claim_id, used_at__isnull=False).update(used_at=None)
    for _product_id, deal_id, quantity in dealt:
        Deal.objects.filter(pk=deal_id, flash_sold__gte=quantity).update(flash_sold=F("flash_sold") - quantity)
    for product_id, _deal_id, quantity in lines:
        sold = {"sales_count": Greatest(F("sales_count") - quantity, 0)} if paid else {}
        Product.objects.filter(pk=product_id).update(stock=F("stock") + quantity, **sold)
    # The buyer's cart page too: a voucher given back, units of a deal no longer bought.
    bump_on_commit(TAG_STOCK, cart_tag(order.buyer_id), *(product_tag(product_id) for product_id, _, _ in lines))
    # The flash units re-open admission for the next buyer (services/admission.py).
    flash_units_return(buyer_id=order.buyer_id, lines=[(deal_id, quantity) for _, deal_id, quantity in dealt])


@transaction.atomic
def order_expire(*, order: Order, now: datetime | None = None) -> bool:
    """Expire an unpaid order past its deadline and give its stock back. False (and nothing
    done) if it was paid, cancelled or expired already, or is not due yet."""
    now = now or timezone.now()
    if not _flip(
        order, to=OrderStatus.EXPIRED, frm=OrderStatus.PENDING_PAYMENT, also=Q(expires_at__lte=now), closed_at=now
    ):
        return False
    _release(order, reason="expired")
    return True


def order_expire_overdue(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Expire every unpaid order whose deadline has passed (each in its own transaction).
    Returns how many expired. Safe to run twice or concurrently (the Celery beat job)."""
    now = now or timezone.now()
    due = Order.objects.filter(status=OrderStatus.PENDING_PAYMENT, expires_at__lte=now).order_by("expires_at")
    return sum(order_expire(order=order, now=now) for order in due[:batch_size])


@transaction.atomic
def order_cancel(*, order: Order, buyer) -> Order:
    """The buyer cancels an unpaid order; its stock goes back on sale."""
    _require(order.buyer_id == buyer.pk, _("Only the buyer can cancel this order."))
    if not _flip(order, to=OrderStatus.CANCELLED, frm=OrderStatus.PENDING_PAYMENT, closed_at=timezone.now()):
        raise _refused(order, pgettext("order cannot be …", "cancelled"))
    _release(order, reason="cancelled")
    return order


#: Most characters of a reason a seller or buyer gives (cancelling, refusing a return ...).
REASON_MAX_LENGTH = 500


def reason_clean(reason: str, *, required: bool = True) -> str:
    """A reason given to the other side: stripped, at most :data:`REASON_MAX_LENGTH` characters,
    and not empty when ``required``."""
    reason = (reason or "").strip()
    if "\x00" in reason:  # the database refuses NUL characters: say so instead of failing
        raise ApplicationError(_("A reason cannot contain NUL characters."), code=OrderErrorCode.REASON_INVALID)
    if required and not reason:
        raise ApplicationError(_("Please give a reason."), code=OrderErrorCode.REASON_REQUIRED)
    if len(reason) > REASON_MAX_LENGTH:
        raise ApplicationError(
            _("A reason is at most %(count)s characters.") % {"count": REASON_MAX_LENGTH},
            code=OrderErrorCode.REASON_TOO_LONG,
        )
    return reason


@transaction.atomic
def order_cancel_by_seller(*, order: Order, seller, reason: str) -> Order:
    """The seller cancels an unpaid order, telling the buyer why; its stock goes back on sale and
    the buyer is notified."""
    _require(order.shop.owner_id == seller.pk, _("Only the seller can cancel this order."))
    reason = reason_clean(reason)
    if not _flip(
        order, to=OrderStatus.CANCELLED, frm=OrderStatus.PENDING_PAYMENT, closed_at=timezone.now(), cancel_reason=reason
    ):
        raise _refused(order, pgettext("order cannot be …", "cancelled"))
    _release(order, reason="cancelled_by_seller")
    order_announce_event_on_commit(order, "cancelled_by_seller", reason=reason)
    return order


def order_cancel_by(*, order: Order, user, reason: str = "") -> Order:
    """Cancel an unpaid order as whoever ``user`` is to it: its buyer (no reason needed) or its
    seller (:func:`order_cancel_by_seller`, a reason required)."""
    if order.buyer_id != user.pk and order.shop.owner_id == user.pk:
        return order_cancel_by_seller(order=order, seller=user, reason=reason)
    return order_cancel(order=order, buyer=user)


def _expired(order: Order) -> ApplicationError:
    """Expire an overdue unpaid order now (stock back) and say so."""
    order_expire(order=order)
    return ApplicationError(
        _("Order #%(number)s was not paid in time and has expired; its items went back on sale.")
        % {"number": order.pk},
        status=409,
        code=OrderErrorCode.ORDER_EXPIRED,
    )


def order_pay(*, order: Order, buyer, backend: PaymentBackend | None = None) -> Order:
    """Charge the buyer through the payment backend and mark the order paid.

    The charge happens outside any transaction; the flip to paid then requires the order to be
    still unpaid and not past its deadline. If it lost a race with expiry the charge is refunded
    and the payment refused. An order found overdue is expired on the spot (stock back)."""
    _require(order.buyer_id == buyer.pk, _("Only the buyer can pay for this order."))
    if order.status != OrderStatus.PENDING_PAYMENT:
        raise _refused(order, pgettext("order cannot be …", "paid"))
    if order.expires_at and order.expires_at <= timezone.now():
        raise _expired(order)
    backend = backend or get_payment_backend()
    result = backend.charge(order_id=order.pk, amount=order.total, currency=order.currency, buyer_id=buyer.pk)
    if not result.ok:
        raise ApplicationError(
            result.message or _("The payment was declined."), status=402, code=OrderErrorCode.PAYMENT_FAILED
        )
    with transaction.atomic():
        now = timezone.now()
        in_time = Q(expires_at__isnull=True) | Q(expires_at__gt=now)
        paid = _flip(
            order, to=OrderStatus.PAID, frm=OrderStatus.PENDING_PAYMENT, also=in_time,
            paid_at=now, payment_reference=result.reference,
        )  # fmt: skip
        if paid:
            lines = OrderLine.objects.filter(order=order).order_by("product_id").values_list("product_id", "quantity")
            for product_id, quantity in lines:
                Product.objects.filter(pk=product_id).update(sales_count=F("sales_count") + quantity)
                bump_on_commit(product_tag(product_id))
            send_on_commit(order_paid, sender=Order, order_id=order.pk, buyer_id=order.buyer_id)
    if not paid:
        backend.refund(reference=result.reference, amount=order.total, currency=order.currency)
        raise (
            _expired(order)
            if order.status == OrderStatus.PENDING_PAYMENT
            else _refused(order, pgettext("order cannot be …", "paid"))
        )
    return order


def order_pay_each(*, orders: Sequence[Order], buyer) -> tuple[list[Order], list[ApplicationError]]:
    """Pay several of the buyer's orders (one checkout's, one per shop) with :func:`order_pay`,
    each on its own: what was paid, and why the others were refused (e.g. one expired)."""
    paid, refused = [], []
    for order in orders:
        try:
            paid.append(order_pay(order=order, buyer=buyer))
        except ApplicationError as error:
            refused.append(error)
    return paid, refused


@transaction.atomic
def order_ship(*, order: Order, seller) -> Order:
    """The seller marks a paid order shipped."""
    _require(order.shop.owner_id == seller.pk, _("Only the seller can ship this order."))
    if not _flip(order, to=OrderStatus.SHIPPED, frm=OrderStatus.PAID, shipped_at=timezone.now()):
        raise _refused(order, pgettext("order cannot be …", "shipped"))
    return order


@transaction.atomic
def order_confirm_delivery(*, order: Order, buyer) -> Order:
    """The buyer confirms the parcel arrived."""
    _require(order.buyer_id == buyer.pk, _("Only the buyer can confirm delivery."))
    if not _flip(order, to=OrderStatus.DELIVERED, frm=OrderStatus.SHIPPED, delivered_at=timezone.now()):
        raise _refused(order, pgettext("order cannot be …", "confirmed as delivered"))
    return order


@transaction.atomic
def order_complete(*, order: Order) -> Order:
    """Close a delivered order (on the buyer's review, by a moderator, or automatically)."""
    if not _flip(order, to=OrderStatus.COMPLETED, frm=OrderStatus.DELIVERED, completed_at=timezone.now()):
        raise _refused(order, pgettext("order cannot be …", "completed"))
    return order


def order_complete_overdue(*, now: datetime | None = None, after_days: int = ORDER_AUTO_COMPLETE_DAYS) -> int:
    """Complete orders delivered more than ``after_days`` ago. Returns how many. Idempotent."""
    now = now or timezone.now()
    return Order.objects.filter(
        status=OrderStatus.DELIVERED, delivered_at__lte=now - timedelta(days=after_days)
    ).update(status=OrderStatus.COMPLETED, completed_at=now)
