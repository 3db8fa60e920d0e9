"""Concurrency on PostgreSQL with real threads, each with its own database connection: no
overselling of stock or flash units, per-buyer limits under a buyer's own parallel requests,
Idempotency-Key duplicates, expiry racing itself and payment, concurrent reviews.

Threads start together at a barrier and then take calls from a shared queue
(``tests/concurrency.py``). At most ``JISHI_TEST_MAX_THREADS`` (default 40) run at once, because
PostgreSQL allows 100 connections in all and other test runs share the server; every call is
still in flight alongside 39 others.
"""

import threading
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone
from rest_framework.test import APIClient

from core.errors import ApplicationError
from marketplace.models import CheckoutRequest, Deal, DealPurchase, Order, OrderLine, OrderStatus, Product
from marketplace.payments import SimulatedPaymentBackend
from marketplace.services import checkout as checkout_services
from marketplace.services import orders as services
from marketplace.services.reviews import review_create
from tests.community.factories import UserFactory
from tests.concurrency import run_concurrently
from tests.marketplace.factories import OrderLineFactory, fill_cart, make_live_deal, make_product

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def api_checkout(buyer, key=None):
    def call():
        client = APIClient()
        client.force_authenticate(buyer)
        headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
        response = client.post("/api/v1/checkout/", {}, format="json", **headers)
        return response.status_code, response.json()

    return call


def test_fifty_buyers_on_the_last_ten_units(postgres):
    # given 10 units left and 50 buyers with one each in their carts
    product = make_product(title="Last jade rings", stock=10)
    buyers = UserFactory.create_batch(50)
    for buyer in buyers:
        fill_cart(buyer, (product, 1))

    # when they all check out at once through the API
    results = run_concurrently([api_checkout(buyer) for buyer in buyers])

    # then exactly 10 orders exist, stock is 0 and everyone else was told it is sold out
    statuses = Counter(status for status, _ in results)
    assert statuses == {201: 10, 409: 40}
    refusals = [body["error"] for status, body in results if status == 409]
    assert {(e["code"], e["message"]) for e in refusals} == {("sold_out", "“Last jade rings” is sold out.")}
    assert Order.objects.count() == 10
    assert Product.objects.get(pk=product.pk).stock == 0


def test_flash_deal_of_twenty_with_a_limit_of_one_under_a_hundred_buyers_and_a_greedy_one(postgres):
    # given a flash deal of 20 units, one per buyer, on a product with plenty of stock
    product = make_product(title="Pearls", stock=1000)
    deal = make_live_deal(product, flash_quantity=20, per_buyer_limit=1)
    buyers = UserFactory.create_batch(100)
    for buyer in buyers:
        fill_cart(buyer, (product, 1))
    greedy = UserFactory()

    # when the greedy buyer fires 10 requests at once among 100 buyers checking out
    greedy_calls = [lambda: checkout_services.order_place(buyer=greedy, items=[(product.pk, 1)]) for _ in range(10)]
    buyer_calls = [lambda b=b: checkout_services.checkout_submit(buyer=b) for b in buyers]
    results = run_concurrently(greedy_calls + buyer_calls)

    # then exactly 20 units sold, at the deal price, and nobody holds more than one
    assert Deal.objects.get(pk=deal.pk).flash_sold == 20
    assert OrderLine.objects.aggregate(n=Sum("quantity"))["n"] == 20
    assert set(OrderLine.objects.values_list("unit_price", flat=True)) == {Decimal("150.00")}
    assert Product.objects.get(pk=product.pk).stock == 980
    per_buyer = Counter(Order.objects.values_list("buyer_id", flat=True))
    assert max(per_buyer.values()) == 1
    assert set(DealPurchase.objects.values_list("quantity", flat=True)) <= {0, 1}
    # and every refusal says why
    greedy_errors = {r.code for r in results[:10] if isinstance(r, ApplicationError)}
    assert greedy_errors <= {"limit_reached", "sold_out"}
    assert sum(not isinstance(r, Exception) for r in results[:10]) <= 1
    buyer_codes = Counter(r.code if isinstance(r, ApplicationError) else bool(r.orders) for r in results[10:])
    assert set(buyer_codes) <= {True, "sold_out"}
    assert not any(isinstance(r, Exception) and not isinstance(r, ApplicationError) for r in results)


def test_one_buyer_firing_ten_requests_at_once_stays_within_the_limit(postgres):
    product = make_product(stock=100)
    deal = make_live_deal(product, flash_quantity=50, per_buyer_limit=2)
    buyer = UserFactory()

    results = run_concurrently([lambda: checkout_services.order_place(buyer=buyer, items=[(product.pk, 1)])] * 10)

    assert sum(isinstance(r, list) for r in results) == 2
    assert {r.code for r in results if isinstance(r, ApplicationError)} == {"limit_reached"}
    assert DealPurchase.objects.get(buyer=buyer).quantity == 2
    assert Deal.objects.get(pk=deal.pk).flash_sold == 2
    assert Product.objects.get(pk=product.pk).stock == 98


def test_concurrent_duplicates_with_one_key_place_one_set_of_orders(postgres):
    # given a cart with products of two shops
    buyer = UserFactory()
    a, b = make_product(stock=5), make_product(stock=5)
    fill_cart(buyer, (a, 1), (b, 2))

    # when the same checkout is sent 12 times at once with one Idempotency-Key
    results = run_concurrently([api_checkout(buyer, key="retry-me")] * 12)

    # then one set of orders exists and every answer is the first one
    assert Order.objects.count() == 2
    assert CheckoutRequest.objects.count() == 1
    assert {status for status, _ in results} == {201}
    assert all(body == results[0][1] for _, body in results)
    assert dict(Product.objects.values_list("pk", "stock")) == {a.pk: 4, b.pk: 3}


def test_concurrent_duplicates_of_a_refused_checkout_all_get_the_one_recorded_refusal(postgres):
    # given a cart of more than is in stock (a refusal PostgreSQL gives after the cart is taken,
    # so each attempt rolls back its whole transaction, record included, and records apart)
    buyer = UserFactory()
    product = make_product(stock=1)
    fill_cart(buyer, (product, 2))

    # when the same checkout is sent 12 times at once with one Idempotency-Key
    results = run_concurrently([api_checkout(buyer, key="refused")] * 12)

    # then one refusal is recorded, every answer is that refusal, nothing was taken
    assert CheckoutRequest.objects.count() == 1
    assert CheckoutRequest.objects.get().refusal["code"] == "quantity_unavailable"
    assert {status for status, _ in results} == {409}
    assert all(body == results[0][1] for _, body in results)
    assert not Order.objects.exists()
    assert Product.objects.get(pk=product.pk).stock == 1


def test_a_buyer_checking_out_one_cart_ten_times_at_once_gets_one_set_of_orders(postgres):
    buyer = UserFactory()
    product = make_product(stock=50)
    fill_cart(buyer, (product, 3))

    results = run_concurrently([api_checkout(buyer, key=f"k{i}") for i in range(10)])

    assert Counter(status for status, _ in results) == {201: 1, 400: 9}
    assert {body["error"]["code"] for status, body in results if status == 400} == {"cart_empty"}
    assert Product.objects.get(pk=product.pk).stock == 47


class RecordingBackend(SimulatedPaymentBackend):
    """The simulated backend, remembering refunds (thread-safe)."""

    def __init__(self):
        self.refunds = []
        self._lock = threading.Lock()

    def refund(self, **kwargs):
        with self._lock:
            self.refunds.append(kwargs["reference"])
        return super().refund(**kwargs)


def test_expiry_twice_and_racing_payment_never_gives_back_twice_or_cancels_a_paid_order(postgres):
    # given 30 unpaid orders of one flash-deal product (the deadline is still ahead for payers)
    product = make_product(stock=100)
    deal = make_live_deal(product, flash_quantity=60, per_buyer_limit=2)
    orders = []
    for _ in range(30):
        buyer = UserFactory()
        fill_cart(buyer, (product, 2))
        orders.append(Order.objects.get(pk=checkout_services.checkout_submit(buyer=buyer).order_ids[0]))
    assert Product.objects.get(pk=product.pk).stock == 40
    backend = RecordingBackend()
    after_deadline = timezone.now() + timedelta(hours=1)

    # when every buyer pays while each order is also expired on its own and two expiry sweeps
    # run (all as if the deadline had passed)
    sweeps = [lambda: services.order_expire_overdue(now=after_deadline)] * 2
    races = []
    for order in orders:
        races.append(
            lambda pk=order.pk, buyer=order.buyer: services.order_pay(
                order=Order.objects.get(pk=pk), buyer=buyer, backend=backend
            )
        )
        races.append(lambda pk=order.pk: services.order_expire(order=Order.objects.get(pk=pk), now=after_deadline))
    results = run_concurrently(sweeps + races)

    # then each order is either paid or expired, never both, and expired ones gave back once
    statuses = Counter(Order.objects.values_list("status", flat=True))
    assert set(statuses) <= {OrderStatus.PAID, OrderStatus.EXPIRED}
    paid_units = 2 * statuses[OrderStatus.PAID]
    expired_by_runs = sum(r for r in results if isinstance(r, int))  # sweeps' counts and True/False
    assert expired_by_runs == statuses[OrderStatus.EXPIRED]
    refreshed = Product.objects.get(pk=product.pk)
    assert (refreshed.stock, refreshed.sales_count) == (100 - paid_units, paid_units)
    assert Deal.objects.get(pk=deal.pk).flash_sold == paid_units
    assert DealPurchase.objects.aggregate(n=Sum("quantity"))["n"] == paid_units
    # and a payer who lost the race was told so, and refunded if the charge had gone through
    lost = [r for r in results if isinstance(r, ApplicationError)]
    assert len(lost) == statuses[OrderStatus.EXPIRED]
    assert {e.code for e in lost} == ({"invalid_transition"} if lost else set())
    expired_ids = set(Order.objects.filter(status=OrderStatus.EXPIRED).values_list("pk", flat=True))
    assert {int(reference.split("-")[1]) for reference in backend.refunds} <= expired_ids


def test_expiry_runs_at_once_give_stock_back_exactly_once(postgres):
    product = make_product(stock=20)
    for _ in range(20):
        buyer = UserFactory()
        fill_cart(buyer, (product, 1))
        checkout_services.checkout_submit(buyer=buyer)
    later = timezone.now() + timedelta(hours=1)

    results = run_concurrently([lambda: services.order_expire_overdue(now=later)] * 6)

    assert sum(results) == 20
    assert Product.objects.get(pk=product.pk).stock == 20
    assert Order.objects.filter(status=OrderStatus.EXPIRED).count() == 20


def test_concurrent_reviews_keep_the_ratings_exact(postgres):
    product = make_product()
    lines = [OrderLineFactory(order__status=OrderStatus.DELIVERED, order__shop=product.shop, product=product)
             for _ in range(30)]  # fmt: skip
    ratings = [1 + i % 5 for i in range(30)]

    calls = [
        lambda line=line, rating=rating: review_create(author=line.order.buyer, order_line_id=line.pk, rating=rating)
        for line, rating in zip(lines, ratings, strict=True)
    ]
    results = run_concurrently(calls)

    assert not [r for r in results if isinstance(r, Exception)]
    product.refresh_from_db()
    product.shop.refresh_from_db()
    assert (product.rating_count, product.rating_avg) == (30, Decimal("3.00"))
    assert (product.shop.rating_count, product.shop.rating_avg) == (30, Decimal("3.00"))


def test_checkouts_racing_cancellations_and_reviews_of_one_flash_product_keep_every_count(postgres):
    # given a flash deal of 45 (two per buyer) on a product with 100 in stock; 15 buyers already
    # hold an unpaid order of one unit and have one more in their carts; 15 new buyers too; and
    # 10 delivered orders of the product waiting for reviews
    product = make_product(title="Pearls", stock=100)
    deal = make_live_deal(product, flash_quantity=45, per_buyer_limit=2)
    holders = UserFactory.create_batch(15)
    held = []
    for buyer in holders:
        fill_cart(buyer, (product, 1))
        held.append(Order.objects.get(pk=checkout_services.checkout_submit(buyer=buyer).order_ids[0]))
        fill_cart(buyer, (product, 1))
    newcomers = UserFactory.create_batch(15)
    for buyer in newcomers:
        fill_cart(buyer, (product, 1))
    delivered = [OrderLineFactory(order__status=OrderStatus.DELIVERED, order__shop=product.shop, product=product)
                 for _ in range(10)]  # fmt: skip

    # when the holders cancel their orders while they and the newcomers check out and the
    # reviews come in, all at once (cancel takes the buyer's rows, then the deal, then the
    # product: the order checkout takes them in, so nothing deadlocks)
    calls = [lambda o=order: services.order_cancel(order=Order.objects.get(pk=o.pk), buyer=o.buyer) for order in held]
    calls += [api_checkout(buyer, key="again") for buyer in holders + newcomers]
    calls += [lambda line=line: review_create(author=line.order.buyer, order_line_id=line.pk, rating=5)
              for line in delivered]  # fmt: skip
    results = run_concurrently(calls)

    # then nothing failed but for a stated reason, and every count matches the live orders
    assert not [r for r in results if isinstance(r, Exception)]
    assert {status for status, _ in results[15:45]} == {201}
    live = OrderLine.objects.filter(product=product, order__status=OrderStatus.PENDING_PAYMENT)
    assert live.aggregate(n=Sum("quantity"))["n"] == 30
    assert Deal.objects.get(pk=deal.pk).flash_sold == 30
    assert Product.objects.get(pk=product.pk).stock == 100 - 30
    bought = dict(DealPurchase.objects.values_list("buyer_id", "quantity"))
    assert bought == {buyer.pk: 1 for buyer in holders + newcomers}
    assert Product.objects.get(pk=product.pk).rating_count == 10
