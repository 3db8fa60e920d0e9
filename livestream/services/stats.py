"""Visits and conversion: the counting redirect from a room to a product or store, and orders
attributed to the room they came from (received from the marketplace's ``order_placed`` /
``order_cancelled`` signals)."""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings

from core.realtime import broadcast, frame
from livestream.models import ClickKind, Room, RoomClick, RoomOrder, RoomPin
from livestream.selectors import click_recent_for


def room_click(*, room: Room, viewer_key: str, user, product=None, shop=None) -> RoomClick:
    """Count a click from ``room`` to ``product`` (its shop is recorded too) or to ``shop``."""
    kind = ClickKind.PRODUCT if product is not None else ClickKind.SHOP
    return RoomClick.objects.create(
        room=room,
        viewer_key=viewer_key[:40],
        user=user if user and user.is_authenticated else None,
        kind=kind,
        product=product,
        shop=product.shop if product is not None else shop,
    )


def order_attribute(*, order_id: int, buyer_id: int, shop_id: int, lines) -> RoomOrder | None:
    """Attribute a placed order to the room the buyer last clicked through to its shop within
    ``LIVE_ATTRIBUTION_HOURS`` (idempotent: one row per order, ``get_or_create`` in its own
    transaction). Most orders follow no click: one read and no transaction (this runs after
    every checkout's commit)."""
    click = click_recent_for(user_id=buyer_id, shop_id=shop_id, within=timedelta(hours=settings.LIVE_ATTRIBUTION_HOURS))
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
    deal_ids = {line.deal_id for line in lines if line.deal_id}
    if not deal_ids:
        return
    for pin in RoomPin.objects.filter(deal_id__in=deal_ids, unpinned_at__isnull=True).select_related("deal", "room"):
        broadcast(
            pin.room.group, frame("deal", id=pin.deal_id, sold=pin.deal.flash_sold, quantity=pin.deal.flash_quantity)
        )


def order_placed_in_room(*, order_id: int, buyer_id: int, shop_id: int, lines) -> None:
    """Receiver of ``order_placed``: attribute the order, and move the live deal's counter."""
    order_attribute(order_id=order_id, buyer_id=buyer_id, shop_id=shop_id, lines=lines)
    _deal_progress(lines)


def order_cancelled_in_room(*, order_id: int, lines) -> None:
    """Receiver of ``order_cancelled``."""
    order_attribution_cancel(order_id=order_id)
    _deal_progress(lines)
