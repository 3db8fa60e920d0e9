"""What community needs to know about sales (read from marketplace)."""

from django.db.models import QuerySet

from marketplace.models import Deal, DealStatus


def sale_shop_ids(*, sale_id: int) -> QuerySet:
    """Ids of the shops with an approved deal in sale ``sale_id`` (a subquery-ready queryset).

    TODO: switch to ``marketplace.selectors.sales.shop_ids_in_sale`` once the sales selectors
    land, so "participating" has one definition."""
    return (
        Deal.objects.filter(sale_id=sale_id, status=DealStatus.APPROVED)
        .values_list("product__shop_id", flat=True)
        .distinct()
    )
