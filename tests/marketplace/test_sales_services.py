"""Sale writes: the clock (each side effect once, even when two beats race), deal enrolment and
moderation, leaderboards, cache warm-up."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from config.celery import app
from core.errors import ApplicationError
from marketplace.models import (
    Deal,
    DealStatus,
    Order,
    OrderLine,
    OrderStatus,
    ProductStatus,
    SaleEvent,
    SaleRanking,
    SaleStatus,
)
from marketplace.selectors import sales as sale_selectors
from marketplace.services import sales as sale_services
from marketplace.signals import sale_closed, sale_opened, sale_opening_soon
from tests.community.factories import UserFactory
from tests.concurrency import raised, run_concurrently
from tests.marketplace.factories import DealFactory, ProductFactory, SaleEventFactory, ShopFactory

ONE = timedelta(seconds=1)


@pytest.fixture
def eager_celery():
    """Tasks queued by signal receivers (community's fan-out) run in-process, not via a broker."""
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


SALE_SIGNALS = {"soon": sale_opening_soon, "opened": sale_opened, "closed": sale_closed}


@pytest.fixture
def signals_sent(eager_celery):
    """Every sale signal sent, as ``(name, sale_id)``, from any thread."""
    sent = []
    lock = threading.Lock()
    for name, signal in SALE_SIGNALS.items():

        def receiver(sender, sale_id, _name=name, **kwargs):
            with lock:
                sent.append((_name, sale_id))

        signal.connect(receiver, weak=False, dispatch_uid=f"test-{name}")
    yield sent
    for name, signal in SALE_SIGNALS.items():
        signal.disconnect(dispatch_uid=f"test-{name}")


@pytest.fixture
def sale(db):
    opens = timezone.now().replace(microsecond=0) + timedelta(days=1)
    return SaleEventFactory(starts_at=opens, ends_at=opens + timedelta(hours=2))


# --- The clock ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_clock_reminds_opens_and_closes_each_sale_once(sale, signals_sent, django_capture_on_commit_callbacks):
    def tick(now):
        with django_capture_on_commit_callbacks(execute=True):
            return sale_services.sale_clock_tick(now=now)

    # an hour and a second before: nothing; an hour before: the reminder, once
    assert tick(sale.starts_at - timedelta(hours=1, seconds=1)).reminded == []
    assert tick(sale.starts_at - timedelta(hours=1)).reminded == [sale.id]
    assert tick(sale.starts_at - timedelta(minutes=30)).reminded == []
    # a second before opening it is not open; at the second it is, once
    assert tick(sale.starts_at - ONE).opened == []
    assert tick(sale.starts_at).opened == [sale.id]
    assert tick(sale.starts_at + ONE).opened == []
    sale.refresh_from_db()
    assert (sale.status, sale.opened_at) == (SaleStatus.LIVE, sale.starts_at)
    # at the end second it closes, once
    assert tick(sale.ends_at - ONE).closed == []
    assert tick(sale.ends_at).closed == [sale.id]
    assert tick(sale.ends_at + ONE).closed == []
    sale.refresh_from_db()
    assert (sale.status, sale.closed_at) == (SaleStatus.ENDED, sale.ends_at)

    assert signals_sent == [("soon", sale.id), ("opened", sale.id), ("closed", sale.id)]


@pytest.mark.django_db
def test_a_late_clock_still_opens_a_live_sale_and_skips_a_stale_reminder(
    sale, signals_sent, django_capture_on_commit_callbacks
):
    # given the clock was down from before the reminder until after the sale opened
    with django_capture_on_commit_callbacks(execute=True):
        result = sale_services.sale_clock_tick(now=sale.starts_at + timedelta(minutes=5))

    # then the sale opens (late) and no "opening soon" is sent for a sale already open
    assert (result.reminded, result.opened) == ([], [sale.id])
    assert signals_sent == [("opened", sale.id)]


@pytest.mark.django_db
def test_a_sale_whose_whole_window_was_missed_is_closed_without_opening(
    sale, signals_sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = sale_services.sale_clock_tick(now=sale.ends_at + timedelta(hours=1))

    assert (result.opened, result.closed) == ([], [sale.id])
    assert signals_sent == [("closed", sale.id)]
    sale.refresh_from_db()
    assert sale.status == SaleStatus.ENDED
    assert sale.opened_at is None


@pytest.mark.django_db(transaction=True)
def test_concurrent_clock_ticks_open_a_sale_once(postgres, signals_sent):
    # given a sale that is due to open and 8 beats running at once
    now = timezone.now()
    sale = SaleEventFactory(starts_at=now - ONE, ends_at=now + timedelta(hours=1))

    results = run_concurrently([lambda: sale_services.sale_clock_tick(now=now)] * 8)

    # then exactly one of them opened it and the signal went out once
    assert raised(results) == []
    assert [sale_id for result in results for sale_id in result.opened] == [sale.id]
    assert signals_sent == [("opened", sale.id)]
    assert SaleEvent.objects.get(pk=sale.pk).status == SaleStatus.LIVE


@pytest.mark.django_db
def test_warm_up_caches_the_live_page_before_the_sale_opens(sale, django_assert_num_queries):
    # given an approved 50%-off deal
    DealFactory(sale=sale, product=ProductFactory(price=Decimal("80.00")), percent_off=50)

    # when the clock runs a minute before opening
    result = sale_services.sale_clock_tick(now=sale.starts_at - timedelta(minutes=1))

    # then the opening second's first page is served from the cache, at the deal price
    assert result.warmed == [sale.id]
    with django_assert_num_queries(0):
        cards = sale_selectors.sale_deal_cards(sale=sale, now=sale.starts_at)
    assert cards.cards[0]["effective_price"] == Decimal("40.00")


# --- Deals ----------------------------------------------------------------------------------------


@pytest.fixture
def seller_product(db):
    return ProductFactory(price=Decimal("100.00"), stock=20, status=ProductStatus.ACTIVE)


@pytest.mark.django_db
def test_a_seller_enrols_their_product_and_it_waits_for_approval(sale, seller_product):
    seller = seller_product.shop.owner

    deal = sale_services.deal_enrol(
        user=seller, sale=sale, product_id=seller_product.id, percent_off=20, flash_quantity=5, per_buyer_limit=1
    )

    assert (deal.status, deal.percent_off, deal.flash_quantity, deal.per_buyer_limit) == (
        DealStatus.PENDING,
        20,
        5,
        1,
    )
    # pending deals do not change prices or appear on the sale page
    assert list(sale_selectors.sale_deal_list(sale=sale, now=sale.starts_at)) == []


@pytest.mark.django_db
def test_re_enrolling_changes_a_pending_deal_but_not_an_approved_one(sale, seller_product):
    seller = seller_product.shop.owner
    deal = sale_services.deal_enrol(user=seller, sale=sale, product_id=seller_product.id, percent_off=20)

    changed = sale_services.deal_enrol(user=seller, sale=sale, product_id=seller_product.id, deal_price=Decimal("70"))
    assert (changed.id, changed.deal_price, changed.percent_off) == (deal.id, Decimal("70"), None)

    sale_services.deal_moderate(deal_ids=[deal.id], approve=True)
    with pytest.raises(ApplicationError) as refused:
        sale_services.deal_enrol(user=seller, sale=sale, product_id=seller_product.id, percent_off=90)
    assert refused.value.code == "deal_approved"
    assert Deal.objects.get(pk=deal.pk).deal_price == Decimal("70.00")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("terms", "code"),
    [
        ({"percent_off": 10, "deal_price": Decimal("50")}, "price_or_percent"),
        ({}, "price_or_percent"),
        ({"deal_price": Decimal("100.00")}, "bad_deal_price"),
        ({"deal_price": Decimal("0")}, "bad_deal_price"),
        ({"percent_off": 100}, "bad_percent_off"),
        ({"percent_off": 10, "flash_quantity": 21}, "bad_flash_quantity"),
        ({"percent_off": 10, "per_buyer_limit": 0}, "bad_per_buyer_limit"),
    ],
)
def test_enrolment_terms_are_validated(sale, seller_product, terms, code):
    with pytest.raises(ApplicationError) as refused:
        sale_services.deal_enrol(user=seller_product.shop.owner, sale=sale, product_id=seller_product.id, **terms)

    assert refused.value.code == code
    assert not Deal.objects.exists()


@pytest.mark.django_db
def test_only_the_owner_enrols_and_only_before_the_sale_starts(sale, seller_product):
    with pytest.raises(ApplicationError) as not_yours:
        sale_services.deal_enrol(user=UserFactory(), sale=sale, product_id=seller_product.id, percent_off=10)
    with pytest.raises(ApplicationError) as closed:
        sale_services.deal_enrol(
            user=seller_product.shop.owner, sale=sale, product_id=seller_product.id, percent_off=10, now=sale.starts_at
        )

    assert (not_yours.value.status, not_yours.value.code) == (403, "not_your_product")
    assert (closed.value.status, closed.value.code) == (409, "enrolment_closed")


@pytest.mark.django_db
def test_moderation_approves_and_rejects_in_bulk_and_prices_follow(sale, seller_product):
    pending = [DealFactory(sale=sale, status=DealStatus.PENDING) for _ in range(2)]
    deal = DealFactory(sale=sale, product=seller_product, percent_off=30, status=DealStatus.PENDING)

    approved = sale_services.deal_moderate(deal_ids=[d.id for d in [*pending, deal]], approve=True)
    again = sale_services.deal_moderate(deal_ids=[deal.id], approve=True)

    assert sorted(approved) == sorted(d.id for d in [*pending, deal])
    assert again == []
    row = sale_selectors.sale_deal_list(sale=sale, now=sale.starts_at).get(pk=deal.pk)
    assert row.effective_price == Decimal("70.00")

    assert sale_services.deal_moderate(deal_ids=[deal.id], approve=False) == [deal.id]
    assert not sale_selectors.sale_deal_list(sale=sale, now=sale.starts_at).filter(pk=deal.pk).exists()


# --- Leaderboards ---------------------------------------------------------------------------------


def _order(*, deal: Deal, quantity: int, status: str) -> Order:
    product = deal.product
    order = Order.objects.create(
        buyer=UserFactory(),
        shop=product.shop,
        status=status,
        subtotal=product.price * quantity,
        total=product.price * quantity,
    )
    OrderLine.objects.create(
        order=order,
        product=product,
        deal=deal,
        title=product.title,
        unit_price=product.price,
        list_price=product.price,
        quantity=quantity,
    )
    return order


@pytest.mark.django_db
def test_leaderboards_count_units_in_paid_orders_through_the_sale_and_are_replaced_idempotently(sale):
    shop = ShopFactory()
    tea = DealFactory(sale=sale, product=ProductFactory(shop=shop))
    cups = DealFactory(sale=sale, product=ProductFactory(shop=shop))
    pearls = DealFactory(sale=sale)
    _order(deal=tea, quantity=3, status=OrderStatus.PAID)
    _order(deal=cups, quantity=2, status=OrderStatus.DELIVERED)
    _order(deal=pearls, quantity=4, status=OrderStatus.COMPLETED)
    _order(deal=pearls, quantity=9, status=OrderStatus.PENDING_PAYMENT)  # not paid: not counted
    _order(deal=pearls, quantity=9, status=OrderStatus.EXPIRED)
    _order(deal=DealFactory(product=pearls.product), quantity=50, status=OrderStatus.PAID)  # another sale

    first = sale_services.sale_rankings_recompute(sale_id=sale.id)
    second = sale_services.sale_rankings_recompute(sale_id=sale.id)

    assert first == second == 5
    boards = sale_selectors.sale_ranking_list(sale=sale)
    assert [(r.rank, r.shop_id, r.units_sold) for r in boards["shop"]] == [
        (1, shop.id, 5),
        (2, pearls.product.shop_id, 4),
    ]
    assert [(r.product_id, r.units_sold) for r in boards["product"]] == [
        (pearls.product_id, 4),
        (tea.product_id, 3),
        (cups.product_id, 2),
    ]
    assert SaleRanking.objects.count() == 5


@pytest.mark.django_db
def test_leaderboards_are_recomputed_for_live_and_recently_ended_sales_only(sale):
    now = sale.starts_at + timedelta(minutes=1)
    recent = SaleEventFactory(starts_at=now - timedelta(days=1), ends_at=now - timedelta(hours=1))
    SaleEventFactory(starts_at=now - timedelta(days=9), ends_at=now - timedelta(days=8))
    SaleEventFactory(starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=2))

    assert sorted(sale_services.sale_rankings_recompute_active(now=now)) == sorted([sale.id, recent.id])
