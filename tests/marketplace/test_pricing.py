"""Effective prices at the exact instants a sale opens and closes (time travel by ``now``)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from marketplace.models import Deal, DealStatus, Product, ProductStatus, SaleEvent
from marketplace.selectors.pricing import product_annotate_prices
from tests.marketplace.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def product():
    return ProductFactory(price=Decimal("200.00"), stock=5, status=ProductStatus.ACTIVE)


def price_at(product, now):
    return product_annotate_prices(Product.objects.filter(pk=product.pk), now=now).get().effective_price


def test_price_follows_the_sale_window_to_the_second(product):
    opens = timezone.now().replace(microsecond=0) + timedelta(days=1)
    sale = SaleEvent.objects.create(name="12.12", slug="1212", starts_at=opens, ends_at=opens + timedelta(hours=24))
    Deal.objects.create(sale=sale, product=product, percent_off=25, status=DealStatus.APPROVED)
    one = timedelta(seconds=1)

    assert price_at(product, opens - one) == Decimal("200.00")
    assert price_at(product, opens) == Decimal("150.00")
    assert price_at(product, sale.ends_at - one) == Decimal("150.00")
    assert price_at(product, sale.ends_at) == Decimal("200.00")


def test_unapproved_deals_do_not_change_the_price_and_the_cheaper_live_deal_wins(product):
    now = timezone.now()
    a = SaleEvent.objects.create(
        name="A", slug="a", starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1)
    )
    b = SaleEvent.objects.create(
        name="B", slug="b", starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1)
    )
    c = SaleEvent.objects.create(
        name="C", slug="c", starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1)
    )
    Deal.objects.create(sale=a, product=product, deal_price=Decimal("180.00"), status=DealStatus.APPROVED)
    cheapest = Deal.objects.create(sale=b, product=product, percent_off=30, status=DealStatus.APPROVED)
    Deal.objects.create(sale=c, product=product, deal_price=Decimal("1.00"), status=DealStatus.PENDING)

    annotated = product_annotate_prices(Product.objects.filter(pk=product.pk), now=now).get()
    assert annotated.effective_price == Decimal("140.00")
    assert annotated.deal_id == cheapest.id
