"""Effective prices, derived at read time from the deals of the sales that are live *now*.

Opening a sale is therefore O(1) and a late Celery tick never leaves a wrong price behind:
every place that shows or charges a price (lists, product page, cart, checkout, API) starts from
:func:`product_annotate_prices`.
"""

from datetime import datetime

from django.db.models import DecimalField, F, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Round
from django.utils import timezone

from marketplace.models import Deal, DealStatus

MONEY = DecimalField(max_digits=12, decimal_places=2)


def deal_list_live(*, now: datetime | None = None) -> QuerySet[Deal]:
    """Approved deals whose sale is live at ``now`` (``starts_at <= now < ends_at``)."""
    now = now or timezone.now()
    return Deal.objects.filter(status=DealStatus.APPROVED, sale__starts_at__lte=now, sale__ends_at__gt=now)


def deal_price_expression(price):
    """SQL for a deal's price given the product's list price expression ``price``."""
    return Coalesce(
        F("deal_price"),
        Round(price * (Value(100) - F("percent_off")) / Value(100), 2, output_field=MONEY),
        output_field=MONEY,
    )


def product_annotate_prices(queryset: QuerySet, *, now: datetime | None = None) -> QuerySet:
    """Annotate products with ``deal_id`` (the best live deal at ``now``, or None) and
    ``effective_price`` (that deal's price, else ``price``). Where two live sales both discount
    a product, the cheaper deal wins. Deal details (flash quantity, per-buyer limit) are read
    from the deal row by ``deal_id`` where a page needs them.
    """
    # The subquery joins the product itself rather than using OuterRef("price"): SQLite cannot
    # order a correlated subquery by an outer column.
    best = (
        deal_list_live(now=now)
        .filter(product=OuterRef("pk"))
        .annotate(live_price=deal_price_expression(F("product__price")))
        .order_by("live_price", "id")
    )
    return queryset.annotate(
        deal_id=Subquery(best.values("id")[:1]),
        effective_price=Coalesce(
            Subquery(best.values("live_price")[:1], output_field=MONEY), "price", output_field=MONEY
        ),
    )
