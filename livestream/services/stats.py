"""Visits and conversion: the counting redirect from a room to a product or store, and orders
attributed to the room they came from (received from the marketplace's ``order_placed`` /
``order_cancelled`` signals)."""

import time
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from core.cache import MARKS_REBUILD_MAX, Marks
from core.realtime import broadcast, frame
from livestream.models import ClickKind, Room, RoomClick, RoomOrder, RoomPin
from livestream.selectors import click_recent_for


def _room_clickers(since: float) -> list[tuple[int, float]]:
    clicks = RoomClick.objects.filter(user__isnull=False)
    return Marks.latest(clicks, member="user_id", at="created_at", since=since)


#: The signed-in viewers who may have clicked from a room within the attribution window (marked
#: by :func:`room_click` before it keeps the click): an order by anyone else is not attributed
#: without a query (``core.cache.Marks``).
ROOM_CLICKERS = Marks(
    "livestream:clickers", keep_seconds=settings.LIVE_ATTRIBUTION_HOURS * 3600, rebuild=_room_clickers
)


def _pinned_deals(_since) -> list[tuple[int, float]]:
    now = time.time()
    pinned = RoomPin.objects.filter(unpinned_at__isnull=True, deal__isnull=False).values_list("deal_id", flat=True)
    return [(deal_id, now) for deal_id in pinned[: MARKS_REBUILD_MAX + 1]]


#: The deals that may be pinned in a room now (marked by ``services.live.room_pin`` before and
#: after it pins one; rebuilt from the pins when missing): an order of any other deal moves no
#: room's counter, without a query.
PINNED_DEALS = Marks("livestream:pinned-deals", rebuild=_pinned_deals)


def room_click(*, room: Room, viewer_key: str, user, product=None, shop=None) -> RoomClick:
    """Count a click from ``room`` to ``product`` (its shop is recorded too) or to ``shop``."""
    kind = ClickKind.PRODUCT if product is not None else ClickKind.SHOP
    signed_in = bool(user and user.is_authenticated)
    if signed_in:  # marked first (at most its created_at), so an order that can see it sees the mark
        ROOM_CLICKERS.mark_on_commit(user.pk)
    return RoomClick.objects.create(
        room=room,
        viewer_key=viewer_key[:40],
        user=user if signed_in else None,
        kind=kind,
        product=product,
        shop=product.shop if product is not None else shop,
    )


def order_attribute(
    *, order_id: int, buyer_id: int, shop_id: int, lines, now: datetime | None = None
) -> RoomOrder | None:
    """Attribute a placed order to the room the buyer last clicked through to its shop within
    ``LIVE_ATTRIBUTION_HOURS`` (idempotent: one row per order, ``get_or_create`` in its own
    transaction). Most orders follow no click: one cache round trip when the buyer clicked from
    no room in the window (:data:`ROOM_CLICKERS`), else one read, and no transaction (this runs
    after every checkout's commit)."""
    now = now or timezone.now()
    within = timedelta(hours=settings.LIVE_ATTRIBUTION_HOURS)
    if not ROOM_CLICKERS.may_exist(buyer_id, since=(now - within).timestamp()):
        return None
    click = click_recent_for(user_id=buyer_id, shop_id=shop_id, within=within, now=now)
    if click is None:
        return None
    amount = sum((Decimal(str(line.amount)) for line in lines), Decimal("0.00"))
    attribution, _created = RoomOrder.objects.get_or_create(
        order_id=order_id, defaults={"room_id": click.room_id, "buyer_id": buyer_id, "amount": amount}
    )
    return attribution


def order_attribution_cancel(*, order_id: int) -> bool:
    """A cancelled or expired order no longer counts as a sale of the room."""
    return bool(RoomOrder.objects.filter(order_id=order_id, cancelled=False).update(cancelled=True))


def _deal_progress(lines) -> None:
    """Rooms whose pinned deal was just bought from (or given back) show the new count sold."""
    before = time.time()  # a mark older than this, of a deal found unpinned, is dropped
    deal_ids = {line.deal_id for line in lines if line.deal_id}
    deal_ids = {deal_id for deal_id in deal_ids if PINNED_DEALS.may_exist(deal_id)}
    if not deal_ids:
        return
    pins = list(RoomPin.objects.filter(deal_id__in=deal_ids, unpinned_at__isnull=True).select_related("deal", "room"))
    for deal_id in deal_ids - {pin.deal_id for pin in pins}:
        PINNED_DEALS.forget(deal_id, before=before)
    for pin in pins:
        broadcast(
            pin.room.group, frame("deal", id=pin.deal_id, sold=pin.deal.flash_sold, quantity=pin.deal.flash_quantity)
        )


def order_placed_marks(*, buyer_id: int, lines, **_signal) -> list[tuple]:
    """What :func:`order_placed_in_room` asks of the marks, for ``order_placed`` to read ahead
    with the other apps' (``core.signals.DomainSignal.ahead``): one round trip for all."""
    deal_ids = sorted({line.deal_id for line in lines if line.deal_id})
    return [(ROOM_CLICKERS, buyer_id, None), *((PINNED_DEALS, deal_id, None) for deal_id in deal_ids)]


def order_placed_in_room(*, order_id: int, buyer_id: int, shop_id: int, lines) -> None:
    """Receiver of ``order_placed``: attribute the order, and move the live deal's counter."""
    order_attribute(order_id=order_id, buyer_id=buyer_id, shop_id=shop_id, lines=lines)
    _deal_progress(lines)


def order_cancelled_in_room(*, order_id: int, lines) -> None:
    """Receiver of ``order_cancelled``."""
    order_attribution_cancel(order_id=order_id)
    _deal_progress(lines)
