"""Sale reads, travelling in time by ``now``: a sale's deal list and cached deal cards show the
right prices before, at the second of, during and after a sale; filters, sorts, facets."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from core.visibility import Visibility
from marketplace.models import DealStatus, ProductStatus, SaleStatus
from marketplace.selectors import sales as sale_selectors
from tests.marketplace.factories import (
    CategoryFactory,
    DealFactory,
    ProductFactory,
    SaleEventFactory,
    ShopFactory,
    VoucherClaimFactory,
    VoucherFactory,
)

pytestmark = pytest.mark.django_db
ONE = timedelta(seconds=1)


@pytest.fixture
def sale():
    opens = timezone.now().replace(microsecond=0) + timedelta(days=1)
    return SaleEventFactory(name="12.12", starts_at=opens, ends_at=opens + timedelta(hours=24))


@pytest.fixture
def deal(sale):
    product = ProductFactory(price=Decimal("200.00"), stock=10, status=ProductStatus.ACTIVE)
    return DealFactory(sale=sale, product=product, percent_off=25)


def prices(sale, now):
    deal = sale_selectors.sale_deal_list(sale=sale, now=now).get()
    return deal.effective_price, deal.sale_price, deal.live_deal_id == deal.id


def test_deal_list_prices_follow_the_sale_window_to_the_second(sale, deal):
    assert prices(sale, sale.starts_at - ONE) == (Decimal("200.00"), Decimal("150.00"), False)
    assert prices(sale, sale.starts_at) == (Decimal("150.00"), Decimal("150.00"), True)
    assert prices(sale, sale.ends_at - ONE) == (Decimal("150.00"), Decimal("150.00"), True)
    assert prices(sale, sale.ends_at) == (Decimal("200.00"), Decimal("150.00"), False)


def test_deal_list_shows_a_cheaper_deal_of_another_live_sale_as_the_effective_price(sale, deal):
    # given another sale live at the same time with a cheaper deal on the same product
    other = SaleEventFactory(starts_at=sale.starts_at - timedelta(hours=1), ends_at=sale.ends_at)
    cheaper = DealFactory(sale=other, product=deal.product, deal_price=Decimal("120.00"), percent_off=None)

    # when the 12.12 deal list is read during both sales
    row = sale_selectors.sale_deal_list(sale=sale, now=sale.starts_at).get()

    # then the buyer's price is the cheaper deal's and the card knows it is not this deal
    assert row.effective_price == Decimal("120.00")
    assert row.live_deal_id == cheaper.id
    assert row.sale_price == Decimal("150.00")
    assert row.percent_saved == 25


def test_cached_deal_cards_flip_at_the_opening_second_and_back_at_the_close(sale, deal):
    # given the page was cached a second before opening
    before = sale_selectors.sale_deal_cards(sale=sale, now=sale.starts_at - ONE)
    assert before.cards[0]["effective_price"] == Decimal("200.00")

    # when it is read at the opening second, during, and at the close
    at_open = sale_selectors.sale_deal_cards(sale=sale, now=sale.starts_at)
    last_second = sale_selectors.sale_deal_cards(sale=sale, now=sale.ends_at - ONE)
    at_close = sale_selectors.sale_deal_cards(sale=sale, now=sale.ends_at)

    # then the cache never serves the previous phase's prices
    assert at_open.cards[0]["effective_price"] == Decimal("150.00")
    assert at_open.cards[0]["price_is_this_deal"] is True
    assert last_second.cards[0]["effective_price"] == Decimal("150.00")
    assert at_close.cards[0]["effective_price"] == Decimal("200.00")


def test_only_approved_deals_of_active_products_and_shops_are_listed(sale, deal):
    DealFactory(sale=sale, status=DealStatus.PENDING)
    DealFactory(sale=sale, status=DealStatus.REJECTED)
    DealFactory(sale=sale, product=ProductFactory(visibility=Visibility.HIDDEN))
    DealFactory(sale=sale, product=ProductFactory(shop=ShopFactory(visibility=Visibility.HIDDEN)))

    listed = list(sale_selectors.sale_deal_list(sale=sale, now=sale.starts_at))

    assert listed == [deal]


def test_sorts_by_discount_popularity_and_price(sale):
    small = DealFactory(sale=sale, product=ProductFactory(price=Decimal("100.00"), sales_count=50), percent_off=10)
    big = DealFactory(sale=sale, product=ProductFactory(price=Decimal("300.00"), sales_count=1), percent_off=60)
    mid = DealFactory(
        sale=sale,
        product=ProductFactory(price=Decimal("100.00"), sales_count=9),
        deal_price=Decimal("70.00"),
        percent_off=None,
    )

    def order(sort):
        return list(sale_selectors.sale_deal_list(sale=sale, now=sale.starts_at, sort=sort))

    assert order("discount") == [big, mid, small]
    assert order("popular") == [small, mid, big]
    assert order("price") == [mid, small, big]  # 70, 90, 120


def test_filters_by_category_subtree_and_by_shop(sale):
    home = CategoryFactory(slug="home")
    kitchen = CategoryFactory(slug="kitchen", parent=home)
    homeware = CategoryFactory(slug="homeware")
    shop = ShopFactory(slug="tea-house")
    in_kitchen = DealFactory(sale=sale, product=ProductFactory(category=kitchen, shop=shop))
    in_home = DealFactory(sale=sale, product=ProductFactory(category=home))
    DealFactory(sale=sale, product=ProductFactory(category=homeware))

    by_category = set(sale_selectors.sale_deal_list(sale=sale, category="home"))
    by_shop = list(sale_selectors.sale_deal_list(sale=sale, shop="tea-house"))

    assert by_category == {in_kitchen, in_home}
    assert by_shop == [in_kitchen]
    assert list(sale_selectors.sale_deal_list(sale=sale, category="nowhere")) == []


def test_facets_list_the_categories_and_shops_with_approved_deals(sale, deal):
    DealFactory(sale=sale, status=DealStatus.PENDING)

    facets = sale_selectors.sale_facets(sale=sale)

    assert facets["categories"] == [deal.product.category]
    assert facets["shops"] == [deal.product.shop]


def test_sale_list_status_follows_the_clock_not_the_column(sale):
    # given a sale whose status column was never updated by the clock
    assert sale.status == SaleStatus.SCHEDULED

    def status_at(now):
        return sale_selectors.sale_get(slug=sale.slug, now=now).current_status

    assert status_at(sale.starts_at - ONE) == SaleStatus.SCHEDULED
    assert status_at(sale.starts_at) == SaleStatus.LIVE
    assert status_at(sale.ends_at) == SaleStatus.ENDED
    assert list(sale_selectors.sale_list(now=sale.starts_at, status="live")) == [sale]


def test_sale_list_puts_live_sales_first_then_upcoming_then_ended(sale):
    now = sale.starts_at
    live = SaleEventFactory(starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1))
    ended = SaleEventFactory(starts_at=now - timedelta(days=3), ends_at=now - timedelta(days=2))
    later = SaleEventFactory(starts_at=now + timedelta(days=5), ends_at=now + timedelta(days=6))

    assert list(sale_selectors.sale_list(now=now)) == [live, sale, later, ended]


def test_shop_ids_in_sale_are_the_shops_with_approved_deals(sale, deal):
    second = DealFactory(sale=sale)
    DealFactory(sale=sale, product=ProductFactory(shop=deal.product.shop))
    DealFactory(sale=sale, status=DealStatus.PENDING)
    DealFactory(status=DealStatus.APPROVED)  # another sale

    assert sorted(sale_selectors.shop_ids_in_sale(sale_id=sale.id)) == sorted(
        [deal.product.shop_id, second.product.shop_id]
    )


def test_deal_counters_report_flash_progress_and_sold_out(sale):
    flash = DealFactory(sale=sale, product=ProductFactory(stock=10), flash_quantity=4, flash_sold=3)
    gone = DealFactory(sale=sale, product=ProductFactory(stock=10), flash_quantity=2, flash_sold=2)
    no_stock = DealFactory(sale=sale, product=ProductFactory(stock=0))

    counters = sale_selectors.deal_counters(deal_ids=[flash.id, gone.id, no_stock.id])

    assert counters[flash.id] == {
        "flash_sold": 3,
        "flash_quantity": 4,
        "stock": 10,
        "sold_out": False,
        "sold_percent": 75,
    }
    assert counters[gone.id]["sold_out"] is True
    assert counters[no_stock.id]["sold_out"] is True


def test_voucher_list_shows_current_vouchers_with_what_is_left_and_mine(user):
    shop = ShopFactory()
    now = timezone.now()
    mine = VoucherFactory(shop=shop, total=3, claimed_count=1, min_spend=Decimal("50"), discount=Decimal("5"))
    VoucherClaimFactory(voucher=mine, user=user)
    other = VoucherFactory(shop=shop, min_spend=Decimal("100"))
    VoucherFactory(shop=shop, valid_from=now - timedelta(days=3), valid_until=now - timedelta(days=1))

    vouchers = list(sale_selectors.voucher_list_for_shop(shop=shop, user=user, now=now))

    assert vouchers == [mine, other]
    assert (vouchers[0].remaining, vouchers[0].claimed_by_me) == (2, True)
    assert vouchers[1].claimed_by_me is False
