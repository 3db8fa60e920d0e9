"""The marketplace's domain signals: what checkout, cancel and expiry announce, and that a
receiver that raises never fails a request whose change is already committed."""

import logging
import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from marketplace import signals
from marketplace.models import Order, OrderStatus, Review
from marketplace.services import checkout as checkout_services
from marketplace.services import orders as services
from marketplace.signals import OrderLineInfo
from tests.marketplace.factories import OrderLineFactory, ShopFactory, fill_cart, make_live_deal, make_product

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def heard():
    """Every marketplace signal sent during the test: ``[(name, kwargs)]``."""
    calls = []

    def listen(signal, sender, **kwargs):
        calls.append((signal.name, kwargs))

    for signal in signals.ALL:
        signal.connect(listen, weak=False, dispatch_uid="test-heard")
    yield calls
    for signal in signals.ALL:
        signal.disconnect(dispatch_uid="test-heard")


@pytest.fixture
def broken_receivers():
    """A receiver that raises on every marketplace signal (a bug in an upper app)."""

    def broken(sender, **kwargs):
        raise RuntimeError("an upper app's receiver is broken")

    for signal in signals.ALL:
        signal.connect(broken, weak=False, dispatch_uid="test-broken")
    yield
    for signal in signals.ALL:
        signal.disconnect(dispatch_uid="test-broken")


@pytest.mark.django_db
def test_checkout_announces_each_placed_order_with_its_lines(user, heard, django_capture_on_commit_callbacks):
    # given a cart with a sale-priced product from one shop and two products from another
    pearls = make_product(title="Pearls", price=Decimal("200.00"))
    deal = make_live_deal(pearls, percent_off=25)
    tea_shop = ShopFactory()
    tea = make_product(shop=tea_shop, price=Decimal("30.00"))
    cups = make_product(shop=tea_shop, price=Decimal("12.50"))
    fill_cart(user, (pearls, 2), (tea, 1), (cups, 4))

    # when the buyer checks out
    with django_capture_on_commit_callbacks(execute=True):
        result = checkout_services.checkout_submit(buyer=user)

    # then one order_placed per order, with ids and per-line product, deal, quantity and amount
    assert len(result.orders) == 2
    placed = {kwargs["shop_id"]: kwargs for name, kwargs in heard if name == "order_placed"}
    assert [name for name, _ in heard] == ["order_placed", "order_placed"]
    orders = {order.shop_id: order for order in Order.objects.all()}
    assert placed[pearls.shop_id] == {
        "order_id": orders[pearls.shop_id].pk,
        "buyer_id": user.pk,
        "shop_id": pearls.shop_id,
        "lines": (OrderLineInfo(pearls.pk, deal.pk, 2, Decimal("300.00")),),
    }
    assert placed[tea_shop.pk]["lines"] == (
        OrderLineInfo(tea.pk, None, 1, Decimal("30.00")),
        OrderLineInfo(cups.pk, None, 4, Decimal("50.00")),
    )


@pytest.mark.django_db
def test_cancel_and_expiry_announce_order_cancelled_once(user, heard, django_capture_on_commit_callbacks):
    product = make_product(price=Decimal("20.00"))
    fill_cart(user, (product, 3))
    cancelled = Order.objects.get(pk=checkout_services.checkout_submit(buyer=user).order_ids[0])
    fill_cart(user, (product, 1))
    overdue = Order.objects.get(pk=checkout_services.checkout_submit(buyer=user).order_ids[0])
    heard.clear()

    # when the buyer cancels one order (twice) and the other expires (the job runs twice)
    with django_capture_on_commit_callbacks(execute=True):
        services.order_cancel(order=cancelled, buyer=user)
        with pytest.raises(Exception, match="cannot be cancelled"):
            services.order_cancel(order=cancelled, buyer=user)
        later = timezone.now() + timedelta(days=1)
        assert services.order_expire_overdue(now=later) == 1
        assert services.order_expire_overdue(now=later) == 0

    # then each closure is announced exactly once, with its reason and lines
    assert heard == [
        (
            "order_cancelled",
            {
                "order_id": cancelled.pk,
                "buyer_id": user.pk,
                "shop_id": product.shop_id,
                "lines": (OrderLineInfo(product.pk, None, 3, Decimal("60.00")),),
                "reason": "cancelled",
            },
        ),
        (
            "order_cancelled",
            {
                "order_id": overdue.pk,
                "buyer_id": user.pk,
                "shop_id": product.shop_id,
                "lines": (OrderLineInfo(product.pk, None, 1, Decimal("20.00")),),
                "reason": "expired",
            },
        ),
    ]


@pytest.mark.django_db(transaction=True)
def test_a_raising_receiver_does_not_break_checkout_or_payment(api_client, broken_receivers, caplog):
    # given a buyer with a cart, and an upper app whose receivers raise
    from tests.community.factories import UserFactory

    buyer = UserFactory()
    product = make_product(stock=5)
    fill_cart(buyer, (product, 2))
    api_client.force_authenticate(buyer)

    # when they check out and pay (each request commits, then the signals go out for real)
    with caplog.at_level(logging.ERROR, logger="core.signals"):
        checkout = api_client.post("/api/v1/checkout/", {}, format="json")
        order_id = checkout.json()["orders"][0]["id"]
        paid = api_client.post(f"/api/v1/orders/{order_id}/pay/")

    # then both answer 2xx, the order is paid, and each failure is logged with its traceback
    assert checkout.status_code == 201, checkout.content
    assert paid.status_code == 200, paid.content
    assert Order.objects.get(pk=order_id).status == OrderStatus.PAID
    failed = {re.search(r"of the (\w+) signal", r.getMessage()).group(1) for r in caplog.records}
    assert failed == {"order_placed", "order_paid"}
    assert all(r.exc_info and r.exc_info[0] is RuntimeError for r in caplog.records)


@pytest.mark.django_db(transaction=True)
def test_a_raising_receiver_does_not_break_posting_a_review(api_client, broken_receivers, caplog):
    line = OrderLineFactory(order__status=OrderStatus.DELIVERED)
    api_client.force_authenticate(line.order.buyer)

    with caplog.at_level(logging.ERROR, logger="core.signals"):
        r = api_client.post("/api/v1/reviews/", {"order_line": line.pk, "rating": 5, "text": "Great"}, format="json")

    assert r.status_code == 201, r.content
    assert Review.objects.filter(order_line=line).exists()
    assert ["review_posted"] == [re.search(r"of the (\w+) signal", rec.getMessage()).group(1) for rec in caplog.records]


def test_every_domain_signal_is_sent_through_the_one_helper():
    """App code never calls ``.send()`` / ``.send_robust()`` on a domain signal: it goes through
    ``core.signals.send_on_commit`` (tests may simulate a delivery with ``.send``)."""
    names = "|".join(signal.name for signal in signals.ALL)
    bare = re.compile(rf"\b(?:{names})\.send(?:_robust)?\(")
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for app in ("core", "marketplace", "community", "headline", "livestream", "config")
        for path in (ROOT / app).rglob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if bare.search(line)
    ]
    assert offenders == []


def test_every_domain_signal_is_documented_with_its_arguments():
    """The signals module's docstring and docs/architecture.md list each signal's arguments."""
    architecture = (ROOT / "docs" / "architecture.md").read_text()
    for signal in signals.ALL:
        args = ", ".join(f"`{arg}`" for arg in signal.args)
        assert f"`{signal.name}` | {args}" in architecture, signal
        assert all(f"``{arg}``" in signals.__doc__ for arg in signal.args), signal
