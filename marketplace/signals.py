"""The marketplace's domain signals: how the base app tells upper apps (community, headline,
livestream) that something happened, without importing them.

Every one is sent by the service that made the change, through
``core.signals.send_on_commit`` — after the transaction commits, robustly (a receiver that
raises is logged and never fails the committed change) and with exactly the arguments listed
here (anything else is a ``TypeError``). Upper apps connect receivers in their
``AppConfig.ready()``; a receiver calls one service of its own app (or queues one task).
Nothing else uses signals. Arguments are ids and plain values, never model instances: the
receiver runs after commit and loads what it needs. ``sender`` is the model class.

============================  ===================================================================
signal                        keyword arguments (and when it is sent)
============================  ===================================================================
``product_viewed``            ``user_id``, ``product_id``, ``category_id`` — a signed-in user
                              viewed a product page (repeat views within minutes count once).
``order_placed``              ``order_id``, ``buyer_id``, ``shop_id``, ``lines`` — checkout
                              placed an order (one signal per order, i.e. per shop of the cart).
``order_paid``                ``order_id``, ``buyer_id`` — the order was paid.
``order_cancelled``           ``order_id``, ``buyer_id``, ``shop_id``, ``lines``, ``reason`` — an
                              order closed and gave its stock back; ``reason`` is
                              ``"cancelled"`` (by the buyer), ``"cancelled_by_seller"``,
                              ``"expired"`` (not paid in time) — unpaid orders — or
                              ``"refunded"`` / ``"returned"`` (paid orders, money sent back).
``order_event``               ``order_id``, ``buyer_id``, ``seller_id``, ``event``, ``reason`` —
                              a step of an
                              order that the other side should hear about: ``event`` is
                              ``"cancelled_by_seller"``, ``"refund_requested"``,
                              ``"refund_approved"`` (by the seller), ``"refund_auto_approved"``,
                              ``"return_requested"``, ``"return_accepted"`` or
                              ``"return_refused"``; ``reason`` is what the acting side wrote
                              (the seller's reason to cancel or refuse, the buyer's to ask), or "".
``review_posted``             ``review_id``, ``author_id``, ``product_id`` — a review was posted.
``sale_opening_soon``         ``sale_id`` — a sale opens within the hour (once per sale).
``sale_opened``               ``sale_id`` — a sale opened (once per sale).
``sale_closed``               ``sale_id`` — a sale closed (once per sale).
============================  ===================================================================

``lines`` is a tuple of :class:`OrderLineInfo` — ``(product_id, deal_id, quantity, amount)``,
``deal_id`` None when the line was not bought at a sale price, ``amount`` the line's
``Decimal`` total at the price paid (before the order's voucher discount). That is what live-room
and story attribution needs: which products, which (room-only) deals, how many, for how much.
"""

from decimal import Decimal
from typing import NamedTuple

from core.signals import DomainSignal


class OrderLineInfo(NamedTuple):
    """One line of an order, as ``order_placed`` / ``order_cancelled`` carry it."""

    product_id: int
    deal_id: int | None
    quantity: int
    amount: Decimal


product_viewed = DomainSignal("product_viewed", ["user_id", "product_id", "category_id"])
order_placed = DomainSignal("order_placed", ["order_id", "buyer_id", "shop_id", "lines"])
order_paid = DomainSignal("order_paid", ["order_id", "buyer_id"])
order_cancelled = DomainSignal("order_cancelled", ["order_id", "buyer_id", "shop_id", "lines", "reason"])
order_event = DomainSignal("order_event", ["order_id", "buyer_id", "seller_id", "event", "reason"])
review_posted = DomainSignal("review_posted", ["review_id", "author_id", "product_id"])
sale_opening_soon = DomainSignal("sale_opening_soon", ["sale_id"])
sale_opened = DomainSignal("sale_opened", ["sale_id"])
sale_closed = DomainSignal("sale_closed", ["sale_id"])

#: Every domain signal of the marketplace (docs and tests walk this).
ALL = (
    product_viewed,
    order_placed,
    order_paid,
    order_cancelled,
    order_event,
    review_posted,
    sale_opening_soon,
    sale_opened,
    sale_closed,
)
