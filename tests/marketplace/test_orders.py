"""The order lifecycle: enforced transitions (full matrix), payment through the backend, what
cancel/expire give back (exactly once), auto-completion, the API with its permission matrix,
the pages and the admin."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from core.errors import ApplicationError
from marketplace.models import Deal, DealPurchase, Order, OrderStatus, Product, VoucherClaim
from marketplace.payments import PaymentResult, SimulatedPaymentBackend
from marketplace.services import checkout as checkout_services
from marketplace.services import orders as services
from marketplace.signals import order_paid
from tests.community.factories import UserFactory
from tests.marketplace.factories import (
    OrderFactory,
    OrderLineFactory,
    ShopFactory,
    fill_cart,
    make_live_deal,
    make_product,
    make_voucher_claim,
)

pytestmark = pytest.mark.django_db
S = OrderStatus


def place(buyer, *pairs, vouchers=()):
    fill_cart(buyer, *pairs)
    result = checkout_services.checkout_submit(buyer=buyer, voucher_claim_ids=[v.pk for v in vouchers])
    return Order.objects.get(pk=result.order_ids[0])


class DecliningBackend(SimulatedPaymentBackend):
    """A stand-in for a provider that declines every card (the payment interface, not our code)."""

    def charge(self, **kwargs):
        return PaymentResult(ok=False, message="Card declined.")


# --- the happy path and signals ---------------------------------------------------------------


def test_an_order_goes_from_payment_to_completion(user, django_capture_on_commit_callbacks):
    product = make_product(stock=5)
    order = place(user, (product, 2))
    seller = order.shop.owner
    sent = []
    order_paid.connect(lambda **kw: sent.append(kw), weak=False, dispatch_uid="test-order-paid")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.order_pay(order=order, buyer=user)
    finally:
        order_paid.disconnect(dispatch_uid="test-order-paid")

    assert order.status == S.PAID and order.paid_at and order.payment_reference.startswith("SIM-")
    assert sent == [{"signal": order_paid, "sender": Order, "order_id": order.pk, "buyer_id": user.pk}]
    assert Product.objects.get(pk=product.pk).sales_count == 2

    services.order_ship(order=order, seller=seller)
    services.order_confirm_delivery(order=order, buyer=user)
    services.order_complete(order=order)

    order.refresh_from_db()
    assert order.status == S.COMPLETED
    assert order.shipped_at and order.delivered_at and order.completed_at


# --- the transition matrix --------------------------------------------------------------------

ACTIONS = {
    "pay": (lambda o: services.order_pay(order=o, buyer=o.buyer), S.PENDING_PAYMENT, S.PAID),
    "ship": (lambda o: services.order_ship(order=o, seller=o.shop.owner), S.PAID, S.SHIPPED),
    "confirm": (lambda o: services.order_confirm_delivery(order=o, buyer=o.buyer), S.SHIPPED, S.DELIVERED),
    "complete": (lambda o: services.order_complete(order=o), S.DELIVERED, S.COMPLETED),
    "cancel": (lambda o: services.order_cancel(order=o, buyer=o.buyer), S.PENDING_PAYMENT, S.CANCELLED),
}


@pytest.mark.parametrize("action", sorted(ACTIONS))
@pytest.mark.parametrize("start", S.values)
def test_only_the_lifecycle_transitions_are_allowed(action, start):
    # given an order in any status (not overdue)
    order = OrderLineFactory(order__status=start).order
    act, allowed_from, to = ACTIONS[action]

    # when the action is attempted
    if start == allowed_from:
        act(order)
        # then it happens only from its one allowed status
        assert Order.objects.get(pk=order.pk).status == to
    else:
        with pytest.raises(ApplicationError) as info:
            act(order)
        assert (info.value.status, info.value.code) == (409, "invalid_transition")
        assert Order.objects.get(pk=order.pk).status == start


@pytest.mark.parametrize("start", S.values)
def test_only_unpaid_overdue_orders_expire(start):
    order = OrderLineFactory(order__status=start, order__expires_at=timezone.now() - timedelta(minutes=1)).order

    expired = services.order_expire(order=order)

    assert expired == (start == S.PENDING_PAYMENT)
    assert Order.objects.get(pk=order.pk).status == (S.EXPIRED if expired else start)


def test_actions_check_who_is_acting(user):
    order = OrderLineFactory(order__status=S.PENDING_PAYMENT).order
    stranger = UserFactory()

    for act in (
        lambda: services.order_pay(order=order, buyer=stranger),
        lambda: services.order_cancel(order=order, buyer=order.shop.owner),
        lambda: services.order_confirm_delivery(order=order, buyer=stranger),
        lambda: services.order_ship(order=order, seller=order.buyer),
    ):
        with pytest.raises(ApplicationError) as info:
            act()
        assert info.value.status == 403
    assert Order.objects.get(pk=order.pk).status == S.PENDING_PAYMENT


# --- giving back exactly once -----------------------------------------------------------------


def stock_state(product, deal, claim, buyer):
    return (
        Product.objects.get(pk=product.pk).stock,
        Deal.objects.get(pk=deal.pk).flash_sold,
        DealPurchase.objects.get(deal=deal, buyer=buyer).quantity,
        VoucherClaim.objects.get(pk=claim.pk).used_at is None,
    )


def test_cancel_gives_everything_back_once(user):
    # given an order with a flash deal line and a voucher
    product = make_product(price=Decimal("200.00"), stock=10)
    deal = make_live_deal(product, flash_quantity=5, per_buyer_limit=3)
    chosen = make_voucher_claim(user, product.shop, min_spend="100.00", discount="20.00")
    order = place(user, (product, 3), vouchers=[chosen])
    assert stock_state(product, deal, chosen, user) == (7, 3, 3, False)

    # when the buyer cancels, then tries again
    services.order_cancel(order=order, buyer=user)
    with pytest.raises(ApplicationError):
        services.order_cancel(order=order, buyer=user)

    # then stock, flash units, the buyer's deal units and the voucher came back once
    assert order.status == S.CANCELLED and order.closed_at
    assert stock_state(product, deal, chosen, user) == (10, 0, 0, True)
    # and the voucher works for the next order
    assert place(user, (product, 1), vouchers=[chosen]).discount == Decimal("20.00")


def test_expiry_run_twice_gives_back_once_and_leaves_other_orders_alone(user):
    product = make_product(stock=10)
    deal = make_live_deal(product, flash_quantity=8)
    chosen = make_voucher_claim(user, product.shop, min_spend="100.00")
    overdue = place(user, (product, 2), vouchers=[chosen])
    paid = place(user, (product, 1))
    services.order_pay(order=paid, buyer=user)
    fresh = place(user, (product, 1))
    later = timezone.now() + timedelta(minutes=31)
    Order.objects.filter(pk=fresh.pk).update(expires_at=later + timedelta(minutes=5))

    assert services.order_expire_overdue(now=later) == 1
    assert services.order_expire_overdue(now=later) == 0

    statuses = dict(Order.objects.values_list("pk", "status"))
    assert statuses == {overdue.pk: S.EXPIRED, paid.pk: S.PAID, fresh.pk: S.PENDING_PAYMENT}
    assert stock_state(product, deal, chosen, user) == (8, 2, 2, True)


def test_paying_an_expired_order_is_refused(user):
    product = make_product(stock=3)
    order = place(user, (product, 1))
    services.order_expire_overdue(now=order.expires_at)

    with pytest.raises(ApplicationError) as info:
        services.order_pay(order=order, buyer=user)

    assert info.value.code == "invalid_transition"
    assert "expired" in info.value.message
    assert Order.objects.get(pk=order.pk).status == S.EXPIRED


def test_paying_an_overdue_order_expires_it_and_gives_stock_back(user):
    product = make_product(stock=3)
    order = place(user, (product, 2))
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    order.refresh_from_db()

    with pytest.raises(ApplicationError) as info:
        services.order_pay(order=order, buyer=user)

    assert (info.value.status, info.value.code) == (409, "order_expired")
    assert Order.objects.get(pk=order.pk).status == S.EXPIRED
    assert Product.objects.get(pk=product.pk).stock == 3


def test_a_declined_payment_leaves_the_order_unpaid(user):
    order = place(user, (make_product(), 1))

    with pytest.raises(ApplicationError) as info:
        services.order_pay(order=order, buyer=user, backend=DecliningBackend())

    assert (info.value.status, info.value.message) == (402, "Card declined.")
    assert Order.objects.get(pk=order.pk).status == S.PENDING_PAYMENT


def test_delivered_orders_complete_after_the_configured_days():
    now = timezone.now()
    old = OrderFactory(status=S.DELIVERED, delivered_at=now - timedelta(days=8))
    recent = OrderFactory(status=S.DELIVERED, delivered_at=now - timedelta(days=1))

    assert services.order_complete_overdue(now=now, after_days=7) == 1
    assert services.order_complete_overdue(now=now, after_days=7) == 0

    assert Order.objects.get(pk=old.pk).status == S.COMPLETED
    assert Order.objects.get(pk=recent.pk).status == S.DELIVERED


def test_the_completion_task_calls_the_service_and_is_scheduled_hourly():
    from django_celery_beat.models import PeriodicTask

    from marketplace.tasks.orders import orders_complete_overdue

    OrderFactory(status=S.DELIVERED, delivered_at=timezone.now() - timedelta(days=30))

    assert orders_complete_overdue.apply().get() == 1
    schedule = PeriodicTask.objects.get(task="marketplace.tasks.orders.orders_complete_overdue")
    assert (schedule.interval.every, schedule.interval.period, schedule.enabled) == (1, "hours", True)


# --- API --------------------------------------------------------------------------------------


@pytest.fixture
def actors():
    order = OrderLineFactory(order__status=S.PENDING_PAYMENT).order
    return {
        "order": order,
        "buyer": order.buyer,
        "seller": order.shop.owner,
        "other": UserFactory(),
        "staff": UserFactory(is_staff=True),
    }


# (endpoint, status the order needs, who may do it); everyone else is refused.
WRITE_ENDPOINTS = [
    ("pay", S.PENDING_PAYMENT, "buyer"),
    ("cancel", S.PENDING_PAYMENT, "buyer"),
    ("ship", S.PAID, "seller"),
    ("confirm", S.SHIPPED, "buyer"),
    ("refund", S.PAID, "buyer"),
]


@pytest.mark.parametrize("endpoint,needs,owner", WRITE_ENDPOINTS)
@pytest.mark.parametrize("who", ["anonymous", "other", "buyer", "seller", "staff"])
def test_order_write_permission_matrix(api_client, actors, endpoint, needs, owner, who):
    order = actors["order"]
    Order.objects.filter(pk=order.pk).update(status=needs)
    if who != "anonymous":
        api_client.force_authenticate(actors[who])

    r = api_client.post(f"/api/v1/orders/{order.pk}/{endpoint}/")

    # anonymous: 401; a stranger (staff too: is_staff grants nothing) does not learn the order
    # exists: 404; the buyer and seller see it but only the owner of this step may take it
    expected = {"anonymous": 401, "other": 404, "staff": 404}.get(who, 200 if who == owner else 403)
    if (endpoint, who) == ("cancel", "seller"):
        expected = 400  # the seller may cancel an unpaid order too, but must say why (reason_required)
    assert r.status_code == expected, r.content
    moved = Order.objects.get(pk=order.pk).status != needs
    assert moved == (expected == 200)


def test_order_api_lists_mine_as_buyer_or_seller(api_client, actors):
    order, buyer, seller = actors["order"], actors["buyer"], actors["seller"]
    api_client.force_authenticate(buyer)
    r = api_client.get("/api/v1/orders/")
    assert [o["id"] for o in r.json()["results"]] == [order.pk]
    assert r.json()["results"][0]["lines"][0]["review"] is None

    api_client.force_authenticate(seller)
    assert api_client.get("/api/v1/orders/").json()["results"] == []
    r = api_client.get("/api/v1/orders/?as=seller")
    assert [o["id"] for o in r.json()["results"]] == [order.pk]
    assert r.json()["results"][0]["buyer"]["username"] == buyer.username


@pytest.mark.parametrize(
    "who,status", [("buyer", 200), ("seller", 200), ("staff", 404), ("other", 404), ("anonymous", 401)]
)
def test_order_api_detail_visibility(api_client, actors, who, status):
    if who != "anonymous":
        api_client.force_authenticate(actors[who])
    assert api_client.get(f"/api/v1/orders/{actors['order'].pk}/").status_code == status
    assert api_client.get("/api/v1/orders/nope/").status_code == 404


def test_order_api_pay_answers_with_the_paid_order(api_client, user):
    order = place(user, (make_product(price=Decimal("50.00")), 2))
    api_client.force_authenticate(user)

    r = api_client.post(f"/api/v1/orders/{order.pk}/pay/")

    assert r.status_code == 200
    assert (r.json()["status"], r.json()["total"]) == ("paid", "100.00")
    r = api_client.post(f"/api/v1/orders/{order.pk}/pay/")
    assert (r.status_code, r.json()["error"]["code"]) == (409, "invalid_transition")


def orders_for(rows):
    """``rows`` orders of two lines each, from one buyer at one shop."""
    buyer, shop = UserFactory(), ShopFactory()
    for _ in range(rows):
        OrderLineFactory.create_batch(2, order=OrderFactory(buyer=buyer, shop=shop))
    return {"buyer": buyer, "seller": shop.owner}


@pytest.mark.parametrize("rows", [5, 50])
@pytest.mark.parametrize("who,url", [("buyer", "/api/v1/orders/?"), ("seller", "/api/v1/orders/?as=seller&")])
def test_order_list_api_query_count(api_client, django_assert_num_queries, rows, who, url):
    api_client.force_authenticate(orders_for(rows)[who])

    # count, orders (+ shop, buyer, voucher), lines (+ review), refund requests
    with django_assert_num_queries(4):
        r = api_client.get(f"{url}page_size=100")
    assert r.json()["count"] == rows


# --- pages --------------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [5, 50])
@pytest.mark.parametrize("who,url", [("buyer", "/orders/"), ("seller", "/sell/orders/?status=pending_payment")])
def test_order_list_pages_query_count(client, django_assert_num_queries, rows, who, url):
    client.force_login(orders_for(rows)[who])

    # user with the header's unread-notification count (the session is cached), count, orders, lines,
    # refund requests
    with django_assert_num_queries(5):
        r = client.get(url)
    assert r.status_code == 200
    assert r.content.decode().count('<article class="card"') == min(rows, 20)


def test_buyer_pays_seller_ships_buyer_confirms_on_the_pages(client, user):
    order = place(user, (make_product(title="Tea", price=Decimal("30.00")), 1))
    client.force_login(user)

    page = client.get(f"/orders/{order.pk}/").content.decode()
    assert "Pay ¥30.00 — Simulated payment (demo)" in page
    r = client.post(f"/orders/{order.pk}/pay/", follow=True)
    assert f"Order #{order.pk} is paid." in r.content.decode()

    client.force_login(order.shop.owner)
    page = client.get("/sell/orders/").content.decode()
    assert "Mark shipped" in page
    client.post(f"/orders/{order.pk}/ship/", {"next": "/sell/orders/"})
    assert Order.objects.get(pk=order.pk).status == S.SHIPPED

    client.force_login(user)
    r = client.post(f"/orders/{order.pk}/confirm/", follow=True)
    assert "Write a review" in r.content.decode()
    assert Order.objects.get(pk=order.pk).status == S.DELIVERED


def test_order_pages_hide_other_peoples_orders_and_show_refusals(client, user):
    order = place(user, (make_product(), 1))
    client.force_login(UserFactory())
    assert client.get(f"/orders/{order.pk}/").status_code == 404

    client.force_login(user)
    r = client.post(f"/orders/{order.pk}/ship/", follow=True)
    assert "Only the seller can ship this order." in r.content.decode()
    r = client.post(f"/orders/{order.pk}/cancel/", follow=True)
    assert f"Order #{order.pk} cancelled." in r.content.decode()


def test_admin_lists_filters_and_completes_orders(client):
    admin = UserFactory(is_staff=True, is_superuser=True)
    delivered = OrderLineFactory(order__status=S.DELIVERED).order
    OrderLineFactory(order__status=S.PAID)
    client.force_login(admin)

    r = client.get(f"/admin/marketplace/order/?status=delivered&q={delivered.shop.name}")
    assert r.status_code == 200 and f"/admin/marketplace/order/{delivered.pk}/change/" in r.content.decode()
    client.post(
        "/admin/marketplace/order/", {"action": "complete_orders", "_selected_action": [delivered.pk]}, follow=True
    )
    assert Order.objects.get(pk=delivered.pk).status == S.COMPLETED


# --- demo data ------------------------------------------------------------------------------------


def test_demo_orders_cover_every_state_and_give_products_ratings():
    from django.core.management import call_command

    from marketplace.models import Review

    call_command("seed_demo", verbosity=0)
    counts = (Order.objects.count(), Review.objects.count())
    call_command("seed_demo", verbosity=0)

    assert (Order.objects.count(), Review.objects.count()) == counts
    demo = Order.objects.filter(checkout__key__startswith="demo-order-")
    assert set(demo.values_list("status", flat=True)) == {
        S.PENDING_PAYMENT, S.PAID, S.SHIPPED, S.DELIVERED, S.COMPLETED, S.CANCELLED
    }  # fmt: skip
    rated = Product.objects.filter(rating_count__gt=0)
    assert rated.count() >= 3
    assert all(p.rating_count == p.reviews.count() for p in rated)
