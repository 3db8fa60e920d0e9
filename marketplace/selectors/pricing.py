"""Effective prices, derived at read time from the deals of the sales that are live *now*.

Opening a sale is therefore O(1) and a late Celery tick never leaves a wrong price behind:
every place that shows or charges a price (lists, product page, cart, checkout, API) starts from
:func:`product_annotate_prices`.

Room-only flash deals (``kind="live"``) price only for a ``buyer`` who holds a claim on them,
between their own ``starts_at`` and ``ends_at``; without a buyer (anonymous pages, the cached
catalogue) they never apply, so they cannot leak into shared caches.

**Money is exact on every database.** Every computed price is read through :data:`MONEY`, which
quantizes to the currency's minor unit (:data:`MONEY_PLACES`). That matters on SQLite, which
stores a whole price such as 159.00 as the integer 159 (so ``159 * 70 / 100`` would divide as
integers: 111, not 111.30) and computes other prices as floats (which Django reads back as
``Decimal("111.300000000000")``). So percentages multiply by a decimal ``0.01`` (real division on
SQLite, exact numeric on PostgreSQL), ``ROUND`` keeps two places, and :class:`MoneyField`
quantizes what the database returns.
"""

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from django.db.models import (
    BooleanField,
    Case,
    DecimalField,
    Exists,
    F,
    Field,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Round
from django.utils import timezone

from marketplace.models import Deal, DealClaim, DealKind, DealStatus

#: Decimal places of the currency's minor unit: the fen of CNY (every money column has 2 places).
MONEY_PLACES = 2
_QUANTUM = Decimal(1).scaleb(-MONEY_PLACES)
#: One hundredth, as a decimal: "percent of" without integer division on SQLite.
PERCENT = Value(Decimal("0.01"))


def money_quantize(value: Decimal) -> Decimal:
    """``value`` to the minor unit, half away from zero (as SQL's ``ROUND``): 111.3 → 111.30."""
    return Decimal(value).quantize(_QUANTUM, rounding=ROUND_HALF_UP)


class MoneyField(DecimalField):
    """The output field of every computed price: reads back a ``Decimal`` with exactly
    :data:`MONEY_PLACES` places on every database (see the module docstring)."""

    def from_db_value(self, value, expression, connection):
        return None if value is None else money_quantize(value)


MONEY = MoneyField(max_digits=12, decimal_places=MONEY_PLACES)


def deal_list_live(*, now: datetime | None = None, buyer=None) -> QuerySet[Deal]:
    """Approved deals that price at ``now``: those whose sale is live (``starts_at <= now <
    ends_at``) and, for a signed-in ``buyer``, the live-room deals in their own window that
    the buyer has claimed."""
    now = now or timezone.now()
    in_sale = Q(kind=DealKind.SALE, sale__starts_at__lte=now, sale__ends_at__gt=now)
    if buyer is not None and getattr(buyer, "is_authenticated", False):
        claimed = Exists(DealClaim.objects.filter(deal=OuterRef("pk"), buyer=buyer))
        in_sale |= Q(claimed, kind=DealKind.LIVE, starts_at__lte=now, ends_at__gt=now)
    return Deal.objects.filter(in_sale, status=DealStatus.APPROVED)


def deal_price_expression(price):
    """SQL for a deal's price given the product's list price expression ``price``."""
    return Coalesce(
        F("deal_price"),
        Round(price * (Value(100) - F("percent_off")) * PERCENT, MONEY_PLACES, output_field=MONEY),
        output_field=MONEY,
    )


def annotate_availability(queryset: QuerySet, *, stock: str, flash_left: str) -> QuerySet:
    """THE sold-out rule, in SQL: annotate ``units_left`` — what a buyer can get now: the
    ``stock`` field, or the deal's flash units left (the ``flash_left`` annotation, null when there
    is no cap) when fewer — and ``sold_out`` (``units_left <= 0``). A live deal whose flash units
    are gone makes its product sold out for the sale even while stock remains.

    Products get it from :func:`product_annotate_prices` (through their live deal), deals from
    :func:`deal_annotate_availability`; pages, the API, the cart and checkout read these two
    annotations and nothing else decides "sold out" — but :func:`live_deal_values`, the same
    rule over values read once (a search page's cards), which a test keeps in step with it."""
    return queryset.annotate(
        units_left=Case(
            When(Q(**{f"{flash_left}__lt": F(stock)}), then=F(flash_left)),
            default=F(stock),
            output_field=IntegerField(),
        )
    ).annotate(
        sold_out=Case(When(units_left__lte=0, then=Value(True)), default=Value(False), output_field=BooleanField())
    )


def deal_annotate_availability(queryset: QuerySet[Deal]) -> QuerySet[Deal]:
    """Deals with ``flash_left`` (null without a cap), ``units_left`` and ``sold_out`` of their
    own (see :func:`annotate_availability`)."""
    queryset = queryset.annotate(flash_left=F("flash_quantity") - F("flash_sold"))
    return annotate_availability(queryset, stock="product__stock", flash_left="flash_left")


def _best_live_deal(*, now: datetime | None, buyer) -> QuerySet[Deal]:
    """The live deals of product ``OuterRef("pk")`` at ``now``, the best first: the cheapest
    (``live_price``), then the oldest."""
    # The subquery joins the product itself rather than using OuterRef("price"): SQLite cannot
    # order a correlated subquery by an outer column.
    return (
        deal_list_live(now=now, buyer=buyer)
        .filter(product=OuterRef("pk"))
        .annotate(live_price=deal_price_expression(F("product__price")))
        .order_by("live_price", "id")
    )


def product_annotate_prices(queryset: QuerySet, *, now: datetime | None = None, buyer=None) -> QuerySet:
    """Annotate products with ``deal_id`` (the best live deal at ``now``, or None),
    ``effective_price`` (that deal's price, else ``price``), ``flash_left`` (that deal's flash
    units left, None without a cap) and so ``units_left`` / ``sold_out``
    (:func:`annotate_availability`). Where two live sales both discount a product, the cheaper
    deal wins; ``buyer`` adds the room-only deals they claimed. Other deal details (per-buyer
    limit) are read from the deal row by ``deal_id`` where a page needs them.
    """
    best = _best_live_deal(now=now, buyer=buyer)
    flash_left = best.annotate(left=F("flash_quantity") - F("flash_sold")).values("left")[:1]
    queryset = queryset.annotate(
        deal_id=Subquery(best.values("id")[:1]),
        effective_price=Coalesce(
            Subquery(best.values("live_price")[:1], output_field=MONEY), "price", output_field=MONEY
        ),
        flash_left=Subquery(flash_left, output_field=IntegerField()),
    )
    return annotate_availability(queryset, stock="stock", flash_left="flash_left")


class SqlArray(Func):
    """PostgreSQL's ``ARRAY[a, b, ...]``."""

    template = "ARRAY[%(expressions)s]"


def product_live_deal_once(*, now: datetime | None = None, buyer=None) -> Subquery:
    """PostgreSQL only: product ``OuterRef("pk")``'s best live deal at ``now`` (the deal of
    :func:`product_annotate_prices`) as ONE subquery — ``ARRAY[id, live price, flash units
    left]`` (numbers; null without a live deal) — for reads of many rows that only *show* the
    prices (a search page's cards): :func:`product_annotate_prices` reads its deal in three
    to four correlated subqueries per row (deal id, price, flash units left — twice in the
    sold-out rule), this in one. :func:`live_deal_values` turns it, with the product's ``price``
    and ``stock``, into the same values; a test keeps the two forms in step."""
    best = _best_live_deal(now=now, buyer=buyer)
    fields = SqlArray(F("id"), F("live_price"), F("flash_quantity") - F("flash_sold"), output_field=Field())
    return Subquery(best.annotate(live=fields).values("live")[:1], output_field=Field())


class LiveValues(NamedTuple):
    """What :func:`product_annotate_prices` annotates a product with, as values."""

    deal_id: int | None
    effective_price: Decimal
    flash_left: int | None
    units_left: int
    sold_out: bool


def live_deal_values(*, price: Decimal, stock: int, live: list | None) -> LiveValues:
    """The annotations of :func:`product_annotate_prices` from a product's ``price``, ``stock``
    and ``live`` (its :func:`product_live_deal_once`): the deal's price, else the list price;
    units left and sold out as :func:`annotate_availability` decides them."""
    if live is None:
        return LiveValues(None, money_quantize(price), None, stock, stock <= 0)
    deal_id, live_price, left = live
    if left is not None:
        left = int(left)
    units_left = left if left is not None and left < stock else stock
    return LiveValues(int(deal_id), money_quantize(live_price), left, units_left, units_left <= 0)
