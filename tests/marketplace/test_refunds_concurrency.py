"""After-sale races on PostgreSQL with real threads (tests/concurrency.py): a buyer's refund
racing the seller's "shipped" ends in exactly one of the two, and units come back only when the
refund won; a seller approving while the auto-approval job runs (twice) refunds once. The
auto-approval task round-trips through the real Celery worker."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from marketplace.models import Order, OrderStatus, Product, RefundRequest, RefundStatus
from marketplace.services import checkout as checkout_services
from marketplace.services import orders as order_services
from marketplace.services import refunds as services
from marketplace.tasks.orders import refunds_auto_approve
from tests.community.factories import UserFactory
from tests.concurrency import run_concurrently, wait_for
from tests.marketplace.factories import fill_cart, make_product

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def paid_order(buyer, product, quantity=1) -> Order:
    fill_cart(buyer, (product, quantity))
    order = Order.objects.get(pk=checkout_services.checkout_submit(buyer=buyer).order_ids[0])
    return order_services.order_pay(order=order, buyer=buyer)


def api_post(user, order_id, action, **body):
    def call():
        client = APIClient()
        client.force_authenticate(user)
        return client.post(f"/api/v1/orders/{order_id}/{action}/", body, format="json").status_code

    return call


def test_refund_racing_shipped_ends_in_exactly_one(postgres):
    # given 8 paid orders of one product (stock 20 → 12)
    product = make_product(stock=20)
    buyers = [UserFactory() for _ in range(8)]
    orders = [paid_order(buyer, product) for buyer in buyers]
    seller = orders[0].shop.owner
    assert Product.objects.get(pk=product.pk).stock == 12

    # when each buyer's refund and the seller's "shipped" hit the same order at once
    calls = []
    for buyer, order in zip(buyers, orders, strict=True):
        calls += [api_post(buyer, order.pk, "refund", reason="race"), api_post(seller, order.pk, "ship")]
    results = run_concurrently(calls)

    # then per order exactly one of the two succeeded, the other got 409, never a 500
    statuses = list(Order.objects.filter(pk__in=[o.pk for o in orders]).values_list("status", flat=True))
    for index in range(len(orders)):
        refund_code, ship_code = results[2 * index], results[2 * index + 1]
        assert sorted([refund_code, ship_code]) == [200, 409], results
    assert set(statuses) <= {OrderStatus.REFUND_REQUESTED, OrderStatus.SHIPPED}
    refunding = [o for o in Order.objects.filter(pk__in=[o.pk for o in orders], status=OrderStatus.REFUND_REQUESTED)]
    assert RefundRequest.objects.filter(status=RefundStatus.REQUESTED).count() == len(refunding)

    # and approving every refund that won gives back exactly their units, once
    approve = [api_post(seller, order.pk, "approve") for order in refunding] * 2
    codes = run_concurrently(approve)
    assert sorted(codes) == [200] * len(refunding) + [409] * len(refunding)
    assert Product.objects.get(pk=product.pk).stock == 12 + len(refunding)


def test_seller_approval_racing_the_auto_approval_job_refunds_once(postgres):
    product = make_product(stock=10)
    orders = [paid_order(UserFactory(), product, 2) for _ in range(4)]
    for order in orders:
        services.order_refund_request(order=order, buyer=order.buyer)
    later = timezone.now() + timedelta(days=30)
    seller = orders[0].shop.owner

    calls = [api_post(seller, order.pk, "approve") for order in orders]
    calls += [lambda: services.refunds_auto_approve(now=later)] * 3
    results = run_concurrently(calls)

    approved_by_seller = sum(1 for code in results[:4] if code == 200)
    approved_by_job = sum(results[4:])
    assert approved_by_seller + approved_by_job == 4, results
    assert all(code in (200, 409) for code in results[:4])
    assert Product.objects.get(pk=product.pk).stock == 10
    assert set(Order.objects.values_list("status", flat=True)) == {OrderStatus.REFUNDED}
    assert RefundRequest.objects.exclude(refund_reference="").count() == 4


@pytest.mark.redis
def test_the_auto_approval_task_runs_on_the_worker(redis_url, celery_worker):
    product = make_product(stock=3)
    order = paid_order(UserFactory(), product, 3)
    request = services.order_refund_request(order=order, buyer=order.buyer)
    RefundRequest.objects.filter(pk=request.pk).update(auto_approve_at=timezone.now() - timedelta(seconds=1))

    approved = refunds_auto_approve.delay().get(timeout=30)

    assert approved == 1
    wait_for(lambda: Order.objects.get(pk=order.pk).status == OrderStatus.REFUNDED)
    assert Product.objects.get(pk=product.pk).stock == 3
