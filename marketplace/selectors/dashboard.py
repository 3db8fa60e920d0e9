"""Seller dashboard reads: a shop's orders and its revenue over time."""

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from marketplace.models import Order, Shop
from marketplace.selectors.orders import order_list_purchased


def order_list_for_shop(*, shop: Shop, limit: int = 20) -> QuerySet[Order]:
    """A shop's most recent orders with buyer and lines (three queries)."""
    return (
        Order.objects.filter(shop=shop)
        .select_related("buyer")
        .prefetch_related("lines")
        .order_by("-created_at", "-id")[:limit]
    )


def shop_revenue_by_day(*, shop: Shop, days: int = 30, now: datetime | None = None) -> list[tuple[date, Decimal]]:
    """Revenue (order totals of paid-or-later orders, by local day paid) for the last ``days``
    days including today, oldest first, with zero for days without sales. One query."""
    tz = timezone.get_current_timezone()
    today = timezone.localtime(now or timezone.now(), tz).date()
    first = today - timedelta(days=days - 1)
    start = datetime.combine(first, datetime.min.time(), tzinfo=tz)
    rows = (
        order_list_purchased()
        .filter(shop=shop, paid_at__gte=start)
        .annotate(day=TruncDate("paid_at", tzinfo=tz))
        .values("day")
        .annotate(revenue=Sum("total"))
    )
    by_day = {row["day"]: row["revenue"] for row in rows}
    return [(first + timedelta(days=i), by_day.get(first + timedelta(days=i), Decimal("0.00"))) for i in range(days)]
