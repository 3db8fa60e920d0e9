"""The flash-deal admission gate (marketplace/services/admission.py) on PostgreSQL + Redis: buyers
who cannot get a unit are answered from Redis before the checkout transaction; PostgreSQL's
conditional UPDATEs stay the truth; units that come back re-open admission; losing the Redis
counters never oversells and never blocks sales for good; without Redis checkout works as
before."""

from collections import Counter

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.errors import ApplicationError
from marketplace.models import CheckoutRequest, Deal, Order, OrderLine, Product
from marketplace.services import admission
from marketplace.services import orders as order_services
from marketplace.services.checkout import checkout_submit
from marketplace.services.live_deals import live_deal_create
from tests.community.factories import UserFactory
from tests.concurrency import run_concurrently, wait_for
from tests.marketplace.factories import fill_cart, make_live_deal, make_product


def checkout(buyer, key: str):
    """One buyer's checkout with an Idempotency-Key: ("ok", order ids) or (error code, message)."""

    def call():
        try:
            return "ok", checkout_submit(buyer=buyer, idempotency_key=key).order_ids
        except ApplicationError as error:
            return str(error.code), error.message

    return call


def flash_sale(*, units: int, buyers: int, per_buyer_limit: int | None = 1, stock: int = 1000):
    product = make_product(title="Jade bangle", stock=stock)
    deal = make_live_deal(product, flash_quantity=units, per_buyer_limit=per_buyer_limit)
    people = UserFactory.create_batch(buyers)
    for person in people:
        fill_cart(person, (product, 1))
    return product, deal, people


def units_sold(deal: Deal) -> tuple[int, int]:
    """(flash_sold counted on the deal, units in orders through it)."""
    lines = OrderLine.objects.filter(deal=deal, order__status__in=["pending_payment", "paid"])
    return Deal.objects.get(pk=deal.pk).flash_sold, sum(line.quantity for line in lines)


# --- single-threaded contract ------------------------------------------------------------------


@pytest.mark.django_db
def test_a_buyer_past_the_cap_is_refused_by_the_gate_before_any_transaction(redis_url):
    # given a flash deal of 2 units and three buyers; the first two have bought
    product, deal, (first, second, late) = flash_sale(units=2, buyers=3)
    assert checkout(first, "a")()[0] == "ok"
    assert checkout(second, "b")()[0] == "ok"

    # when the third checks out
    with CaptureQueriesContext(connection) as queries:
        answer = checkout(late, "c")()

    # then they are told it is sold out in this sale, from a few reads: their cart, the deals of
    # the cart, then whether their key has an answer to replay — no transaction, no
    # Idempotency-Key record, no row of the sale touched
    assert answer == ("sold_out", "“Jade bangle” is sold out in this sale.")
    assert len(queries) == 3
    # (reads: the cart's deals are a prepared statement, EXECUTEd)
    assert all(q["sql"].split()[0].upper() in ("SELECT", "EXECUTE") for q in queries.captured_queries)
    assert not CheckoutRequest.objects.filter(user=late).exists()
    assert units_sold(deal) == (2, 2)


@pytest.mark.django_db
def test_the_gate_applies_the_per_buyer_limit(redis_url):
    # given a deal of 10 units, one per buyer, and a buyer who has bought one
    product, deal, (buyer,) = flash_sale(units=10, buyers=1)
    assert checkout(buyer, "a")()[0] == "ok"

    # when they put another in the cart and check out again
    fill_cart(buyer, (product, 1))
    answer = checkout(buyer, "b")()

    # then the gate refuses with PostgreSQL's message and nothing more was sold
    assert answer == ("limit_reached", "You can buy at most 1 of “Jade bangle” in this sale (you already have 1).")
    assert units_sold(deal) == (1, 1)


@pytest.mark.django_db
def test_a_retry_is_replayed_whether_the_gate_would_admit_or_refuse_it_and_holds_no_unit(redis_url):
    # given a deal of 2 units, one per buyer; a buyer placed an order under key "a" (their cart
    # is empty again)
    product, deal, (buyer, other, late) = flash_sale(units=2, buyers=3)
    placed = checkout(buyer, "a")()
    assert placed[0] == "ok"
    # when they retry while a unit is left (the gate admits the empty cart), and again once the
    # last unit has gone to someone else (with the same cart again: the gate refuses it)
    replay_admitted = checkout(buyer, "a")()
    assert checkout(other, "b")()[0] == "ok"
    fill_cart(buyer, (product, 1))
    replay_refused = checkout(buyer, "a")()
    # then both are the same order, never "sold out" or "limit reached"; and the replays held no
    # unit: a cancelled unit goes to the next buyer
    assert replay_admitted == placed
    assert replay_refused == placed
    order_services.order_cancel(order=Order.objects.get(buyer=other), buyer=other)
    assert checkout(late, "c")()[0] == "ok"
    assert units_sold(deal) == (2, 2)


@pytest.mark.django_db
def test_a_cancelled_or_expired_order_gives_its_unit_to_the_next_buyer(redis_url):
    # given a deal of one unit, bought by the first of three buyers; the second is refused
    product, deal, (first, second, third) = flash_sale(units=1, buyers=3)
    assert checkout(first, "a")()[0] == "ok"
    assert checkout(second, "b")()[0] == "sold_out"

    # when the first buyer cancels
    order_services.order_cancel(order=Order.objects.get(buyer=first), buyer=first)

    # then the second buyer gets the unit, and the third is refused again
    assert checkout(second, "b2")()[0] == "ok"
    assert checkout(third, "c")()[0] == "sold_out"

    # and when the second buyer's order expires unpaid, the third buyer gets it
    order = Order.objects.get(buyer=second)
    Order.objects.filter(pk=order.pk).update(expires_at=order.created_at)
    assert order_services.order_expire(order=Order.objects.get(pk=order.pk))
    assert checkout(third, "c2")()[0] == "ok"
    assert units_sold(deal) == (1, 1)


@pytest.mark.django_db
def test_a_counter_that_ran_low_is_rebuilt_after_postgresql_refuses(redis_url):
    # given a deal whose gate counter was built at 0, then 3 of its 3 units were sold elsewhere
    # (as if the counter had been rebuilt while checkouts were in flight)
    product, deal, (first, second) = flash_sale(units=3, buyers=2)
    admission.flash_admit(buyer=UserFactory(), items=[(product.pk, 1)]).release()
    Deal.objects.filter(pk=deal.pk).update(flash_sold=3)

    # when a buyer checks out, the gate admits them and PostgreSQL refuses
    assert checkout(first, "a")() == ("sold_out", "“Jade bangle” is sold out in this sale.")
    assert CheckoutRequest.objects.filter(user=first).exists()

    # then the counter was dropped and rebuilt: the next buyer is refused by the gate alone
    assert checkout(second, "b")()[0] == "sold_out"
    assert not CheckoutRequest.objects.filter(user=second).exists()


@pytest.mark.django_db
def test_a_lost_admission_holds_a_unit_back_only_until_the_counter_is_rebuilt(redis_url, monkeypatch):
    # given counters that are rebuilt from PostgreSQL every second, a deal of one unit, and an
    # admission that was never given back (its worker died mid-checkout)
    monkeypatch.setattr(admission, "RESYNC_SECONDS", 1)
    product, deal, (buyer,) = flash_sale(units=1, buyers=1)
    admission.flash_admit(buyer=UserFactory(), items=[(product.pk, 1)])
    assert checkout(buyer, "a")()[0] == "sold_out"

    # when the counter's time is up, then the unit is sold to the buyer
    wait_for(lambda: checkout(buyer, f"retry-{Order.objects.count()}")()[0] == "ok", timeout=10)
    assert units_sold(deal) == (1, 1)


@pytest.mark.django_db
def test_a_product_with_a_room_deal_is_not_gated(redis_url):
    # given a product in a sale's flash deal and also in a live room's deal
    product = make_product(stock=10)
    make_live_deal(product, flash_quantity=1)
    live_deal_create(product=product, audience="room:1", price=product.price / 2, quantity=5, minutes=10)

    # then the gate leaves it to PostgreSQL (a claimed buyer gets the room's price and units)
    assert admission.gated_deals_for_products(product_ids=[product.pk]) == {}


@pytest.mark.django_db
def test_without_redis_checkout_works_as_before(settings):
    # given the local-memory cache (no Redis at all) and a deal of one unit
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    product, deal, (first, second) = flash_sale(units=1, buyers=2)

    # when two buyers check out one after the other
    answers = [checkout(first, "a")(), checkout(second, "b")()]

    # then PostgreSQL alone sold the unit once and refused the second (and recorded it)
    assert [code for code, _ in answers] == ["ok", "sold_out"]
    assert CheckoutRequest.objects.filter(user=second).exists()
    assert units_sold(deal) == (1, 1)


# --- threads on PostgreSQL + Redis ----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_forty_buyers_race_ten_units_and_exactly_ten_are_sold(postgres, redis_url):
    # given a deal of 10 units (one per buyer) and 40 buyers
    product, deal, buyers = flash_sale(units=10, buyers=40)

    # when they all check out at once, each on its own connection
    results = run_concurrently([checkout(buyer, f"k{n}") for n, buyer in enumerate(buyers)])

    # then exactly 10 orders, 10 units counted, and 30 sold-out answers; the gate's counter
    # agrees with PostgreSQL
    assert Counter(code for code, _ in results) == {"ok": 10, "sold_out": 30}
    assert units_sold(deal) == (10, 10)
    assert Product.objects.get(pk=product.pk).stock == 990
    assert cache.get(admission._deal_key(deal.pk)) == 10


@pytest.mark.django_db(transaction=True)
def test_a_redis_flush_in_the_middle_of_a_sale_neither_oversells_nor_blocks(postgres, redis_url):
    # given a deal of 12 units and 36 buyers, half of whom check out at once
    product, deal, buyers = flash_sale(units=12, buyers=36)
    first = run_concurrently([checkout(buyer, f"k{n}") for n, buyer in enumerate(buyers[:18])], threads=18)
    sold_before = Counter(code for code, _ in first)["ok"]

    # when Redis loses everything while the second half races in (flushed mid-run, too)
    cache.clear()
    calls = [checkout(buyer, f"k{n + 18}") for n, buyer in enumerate(buyers[18:])]
    calls.insert(9, lambda: (cache.clear(), ("flushed", ""))[1])
    second = run_concurrently(calls, threads=19)

    # then exactly the 12 units were sold in all, never more; everyone else was told sold out
    codes = Counter(code for code, _ in first + second)
    assert codes == {"ok": 12, "sold_out": 24, "flushed": 1}
    assert sold_before <= 12
    assert units_sold(deal) == (12, 12)
    # and the rebuilt gate now refuses a late buyer by itself
    late = UserFactory()
    fill_cart(late, (product, 1))
    assert checkout(late, "late")()[0] == "sold_out"
    assert not CheckoutRequest.objects.filter(user=late).exists()
