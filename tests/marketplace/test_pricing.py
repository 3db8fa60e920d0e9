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


def test_the_live_deal_read_once_gives_the_annotations_of_product_annotate_prices(postgres):
    # product_live_deal_once (one subquery: the best live deal's id, price and flash units left,
    # for cards) and live_deal_values give, product by product, what product_annotate_prices
    # annotates: no deal, the cheaper of two live deals (pending and closed ones ignored), a
    # percentage rounded to the fen, flash units below / above the stock, sold out by its flash
    # units or its stock, a room-only deal for its claimant and not for others
    from django.contrib.auth import get_user_model

    from marketplace.models import DealClaim, DealKind
    from marketplace.selectors.pricing import live_deal_values, product_live_deal_once
    from tests.marketplace.factories import make_live_deal

    now = timezone.now()
    plain = ProductFactory(price=Decimal("99.00"), stock=3)
    empty = ProductFactory(price=Decimal("10.00"), stock=0)
    two = ProductFactory(price=Decimal("200.00"), stock=5)
    make_live_deal(two, deal_price=Decimal("180.00"))
    make_live_deal(two, percent_off=33)  # 134.00: the cheaper one
    pending = make_live_deal(two, deal_price=Decimal("1.00"))
    Deal.objects.filter(pk=pending.pk).update(status=DealStatus.PENDING)
    rounded = ProductFactory(price=Decimal("19.99"), stock=4)
    make_live_deal(rounded, percent_off=15)  # 16.9915 -> 16.99
    capped = ProductFactory(price=Decimal("50.00"), stock=9)
    make_live_deal(capped, percent_off=10, flash_quantity=5, flash_sold=2)  # 3 left, fewer than stock
    roomy = ProductFactory(price=Decimal("50.00"), stock=2)
    make_live_deal(roomy, percent_off=10, flash_quantity=50, flash_sold=1)  # the stock is fewer
    gone = ProductFactory(price=Decimal("50.00"), stock=9)
    make_live_deal(gone, percent_off=10, flash_quantity=5, flash_sold=5)  # sold out by its units
    closed = ProductFactory(price=Decimal("70.00"), stock=1)
    make_live_deal(closed, percent_off=50, flash_quantity=1, flash_sold=1)
    SaleEvent.objects.filter(deals__product=closed).update(ends_at=now - timedelta(seconds=1))
    room = ProductFactory(price=Decimal("80.00"), stock=6)
    claimant, other = (
        get_user_model().objects.create(username="claimant"),
        get_user_model().objects.create(username="other"),
    )
    deal = Deal.objects.create(
        kind=DealKind.LIVE,
        product=room,
        deal_price=Decimal("60.00"),
        flash_quantity=4,
        flash_sold=1,
        starts_at=now - timedelta(minutes=5),
        ends_at=now + timedelta(minutes=5),
        status=DealStatus.APPROVED,
    )
    DealClaim.objects.create(deal=deal, buyer=claimant)
    products = [plain, empty, two, rounded, capped, roomy, gone, closed, room]
    names = ("deal_id", "effective_price", "flash_left", "units_left", "sold_out")
    seen = set()
    for buyer in (None, claimant, other):
        queryset = Product.objects.filter(pk__in=[p.pk for p in products]).order_by("pk")
        expected = list(product_annotate_prices(queryset, now=now, buyer=buyer).values_list("pk", *names))
        once = queryset.annotate(live=product_live_deal_once(now=now, buyer=buyer))
        got = [
            (pk, *live_deal_values(price=price, stock=stock, live=live))
            for pk, price, stock, live in once.values_list("pk", "price", "stock", "live")
        ]
        assert got == expected
        # same types too (a price as a Decimal of two places, ids and units as int)
        assert [tuple(map(repr, row)) for row in got] == [tuple(map(repr, row)) for row in expected]
        seen.update((row[1] is not None, row[4], row[5]) for row in got)
    assert {(True, 3, False), (True, 0, True), (False, 0, True), (False, 3, False)} <= seen
