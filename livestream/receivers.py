"""Receivers of the marketplace's domain signals (connected in ``LivestreamConfig.ready``): each
calls one livestream service."""

from django.dispatch import receiver

from livestream.services import stats
from marketplace import signals


@receiver(signals.order_placed, dispatch_uid="livestream.order_placed")
def on_order_placed(sender, order_id, buyer_id, shop_id, lines, **kwargs):
    stats.order_placed_in_room(order_id=order_id, buyer_id=buyer_id, shop_id=shop_id, lines=lines)


signals.order_placed.ahead(stats.order_placed_marks, dispatch_uid="livestream.order_placed")


@receiver(signals.order_cancelled, dispatch_uid="livestream.order_cancelled")
def on_order_cancelled(sender, order_id, lines, **kwargs):
    stats.order_cancelled_in_room(order_id=order_id, lines=lines)
