"""After-sale through the API and the pages: a refund before shipping (seller approves, granted at
once, or approved automatically by the beat job), a return after delivery (accepted or refused
with a reason, within the window). Stock, flash units, the buyer's deal units and the voucher
come back exactly once; the payment backend's refund is recorded; the other side is notified."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from community.models import Notification, NotificationKind
from marketplace.models import (
    Deal,
    DealPurchase,
    Order,
    OrderStatus,
    Product,
    RefundRequest,
    RefundStatus,
    VoucherClaim,
)
from marketplace.services import checkout as checkout_services
from marketplace.services import orders as order_services
from marketplace.services import refunds as services
from tests.community.factories import UserFactory
from tests.marketplace.factories import fill_cart, make_live_deal, make_product, make_voucher_claim

pytestmark = pytest.mark.django_db
S = OrderStatus


def paid_order(buyer, product, quantity=2, vouchers=()) -> Order:
    fill_cart(buyer, (product, quantity))
    result = checkout_services.checkout_submit(buyer=buyer, voucher_claim_ids=[v.pk for v in vouchers])
    order = Order.objects.get(pk=result.order_ids[0])
    return order_services.order_pay(order=order, buyer=buyer)


def delivered_order(buyer, product, quantity=1) -> Order:
    order = paid_order(buyer, product, quantity)
    order_services.order_ship(order=order, seller=order.shop.owner)
    return order_services.order_confirm_delivery(order=order, buyer=buyer)


def notices(user) -> list[str]:
    return [n.shown_title for n in Notification.objects.filter(recipient=user, kind=NotificationKind.ORDER_UPDATE)]


def post(api_client, user, order, action, **body):
    api_client.force_authenticate(user)
    return api_client.post(f"/api/v1/orders/{order.pk}/{action}/", body, format="json")


# --- refund before shipping ---------------------------------------------------------------------


def test_refund_requested_then_approved_gives_everything_back_once_and_tells_each_side(
    api_client, user, django_capture_on_commit_callbacks
):
    # given a paid order of 2 flash-deal units bought with a voucher
    product = make_product(stock=10, price=Decimal("200.00"))
    deal = make_live_deal(product, flash_quantity=5, per_buyer_limit=3)
    claim = make_voucher_claim(user, product.shop, min_spend="100.00", discount="20.00")
    order = paid_order(user, product, 2, vouchers=[claim])
    seller = order.shop.owner
    assert Product.objects.get(pk=product.pk).stock == 8 and Deal.objects.get(pk=deal.pk).flash_sold == 2

    # when the buyer asks for a refund and the seller approves it
    with django_capture_on_commit_callbacks(execute=True):
        asked = post(api_client, user, order, "refund", reason="Ordered the wrong size")
    assert asked.status_code == 200, asked.content
    assert asked.json()["status"] == "refund_requested"
    request = asked.json()["refund_requests"][0]
    assert (
        request["kind"] == "refund" and request["status"] == "requested" and request["amount"] == "280.00"
    )  # 2 × 150.00 (25% off) − 20.00
    assert request["auto_approve_at"]
    assert notices(seller) == [f"Refund requested for order #{order.pk}"]
    assert Product.objects.get(pk=product.pk).stock == 8  # nothing back before it is granted

    with django_capture_on_commit_callbacks(execute=True):
        approved = post(api_client, seller, order, "approve")
    again = post(api_client, seller, order, "approve")

    # then the order is refunded, the backend's refund recorded, and everything came back once
    assert approved.status_code == 200, approved.content
    body = approved.json()
    assert body["status"] == "refunded" and body["closed_at"]
    refund = body["refund_requests"][0]
    assert refund["status"] == "approved" and refund["decided_by"] == "seller"
    assert refund["refund_reference"].startswith("SIM-REFUND-")
    assert again.status_code == 409
    assert Product.objects.get(pk=product.pk).stock == 10
    assert Product.objects.get(pk=product.pk).sales_count == 0
    assert Deal.objects.get(pk=deal.pk).flash_sold == 0
    assert DealPurchase.objects.get(deal=deal, buyer=user).quantity == 0
    assert VoucherClaim.objects.get(pk=claim.pk).used_at is None
    assert notices(user) == [f"Your refund for order #{order.pk} was approved"]


def test_refund_is_granted_at_once_when_configured(api_client, user, settings, django_capture_on_commit_callbacks):
    settings.ORDER_REFUND_AUTO_APPROVE_HOURS = 0
    product = make_product(stock=4)
    order = paid_order(user, product, 1)

    with django_capture_on_commit_callbacks(execute=True):
        r = post(api_client, user, order, "refund")

    assert r.status_code == 200, r.content
    assert r.json()["status"] == "refunded"
    assert r.json()["refund_requests"][0]["decided_by"] == "automatic"
    assert Product.objects.get(pk=product.pk).stock == 4
    assert notices(user) == notices(order.shop.owner) == [f"Order #{order.pk} was refunded"]


def test_the_job_approves_overdue_refunds_once_and_the_seller_comes_too_late(user, django_capture_on_commit_callbacks):
    product = make_product(stock=6)
    order = paid_order(user, product, 3)
    request = services.order_refund_request(order=order, buyer=user)
    due = request.auto_approve_at

    assert services.refunds_auto_approve(now=due - timedelta(minutes=1)) == 0  # not yet due
    with django_capture_on_commit_callbacks(execute=True):
        assert services.refunds_auto_approve(now=due + timedelta(seconds=1)) == 1
    assert services.refunds_auto_approve(now=due + timedelta(hours=1)) == 0  # idempotent

    order.refresh_from_db()
    assert order.status == S.REFUNDED
    assert Product.objects.get(pk=product.pk).stock == 6
    assert RefundRequest.objects.get(pk=request.pk).decided_by == "automatic"
    with pytest.raises(Exception) as late:
        services.order_refund_approve(order=order, seller=order.shop.owner)
    assert late.value.status == 409
    assert Product.objects.get(pk=product.pk).stock == 6
    assert notices(user) == notices(order.shop.owner) == [f"Order #{order.pk} was refunded"]


def test_a_pending_refund_blocks_shipping_and_a_shipped_order_cannot_be_refunded(api_client, user):
    first = paid_order(user, make_product())
    post(api_client, user, first, "refund")
    shipped = paid_order(user, make_product())
    post(api_client, shipped.shop.owner, shipped, "ship")

    ship = post(api_client, first.shop.owner, first, "ship")
    refund = post(api_client, user, shipped, "refund")

    assert ship.status_code == 409 and ship.json()["error"]["code"] == "invalid_transition"
    assert refund.status_code == 409 and refund.json()["error"]["code"] == "already_shipped"
    assert Order.objects.get(pk=first.pk).status == S.REFUND_REQUESTED
    assert Order.objects.get(pk=shipped.pk).status == S.SHIPPED


def test_who_may_do_what_after_sale(api_client, user):
    order = paid_order(user, make_product())
    seller = order.shop.owner

    seller_asks = post(api_client, seller, order, "refund")
    stranger = post(api_client, UserFactory(), order, "refund")
    post(api_client, user, order, "refund")
    buyer_approves = post(api_client, user, order, "approve")
    refuse_a_refund = post(api_client, seller, order, "refuse", reason="no")

    assert seller_asks.status_code == 403 and seller_asks.json()["error"]["code"] == "permission_denied"
    assert stranger.status_code == 404
    assert buyer_approves.status_code == 403
    assert refuse_a_refund.status_code == 409  # a refund before shipping is not the seller's to refuse
    assert Order.objects.get(pk=order.pk).status == S.REFUND_REQUESTED


def test_an_unpaid_order_cannot_be_refunded(api_client, user):
    fill_cart(user, (make_product(), 1))
    order = Order.objects.get(pk=checkout_services.checkout_submit(buyer=user).order_ids[0])

    r = post(api_client, user, order, "refund")

    assert r.status_code == 409 and r.json()["error"]["code"] == "invalid_transition"


# --- return after delivery ----------------------------------------------------------------------


def test_return_refused_with_a_reason_then_asked_again_and_accepted(
    api_client, user, django_capture_on_commit_callbacks
):
    product = make_product(stock=5)
    order = delivered_order(user, product, 2)
    seller = order.shop.owner

    no_reason = post(api_client, user, order, "return")
    with django_capture_on_commit_callbacks(execute=True):
        asked = post(api_client, user, order, "return", reason="It arrived scratched")
        refuse_bare = post(api_client, seller, order, "refuse")
        refused = post(api_client, seller, order, "refuse", reason="The photos show no scratch")

    assert no_reason.status_code == 400 and no_reason.json()["error"]["code"] == "reason_required"
    assert asked.status_code == 200 and asked.json()["status"] == "return_requested"
    assert asked.json()["return_until"]
    assert refuse_bare.status_code == 400 and refuse_bare.json()["error"]["code"] == "reason_required"
    assert refused.status_code == 200, refused.content
    assert refused.json()["status"] == "delivered"
    assert refused.json()["refund_requests"][0]["response"] == "The photos show no scratch"
    assert Product.objects.get(pk=product.pk).stock == 3
    refusal = Notification.objects.get(recipient=user, kind=NotificationKind.ORDER_UPDATE)
    assert refusal.shown_title == f"Your return of order #{order.pk} was refused"
    assert "The photos show no scratch" in refusal.shown_body
    assert notices(seller) == [f"Return requested for order #{order.pk}"]

    with django_capture_on_commit_callbacks(execute=True):
        post(api_client, user, order, "return", reason="Still scratched, here is a clearer photo")
        accepted = post(api_client, seller, order, "approve")

    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["status"] == "returned"
    assert [r["status"] for r in accepted.json()["refund_requests"]] == ["approved", "refused"]
    assert Product.objects.get(pk=product.pk).stock == 5
    assert f"Your return of order #{order.pk} was accepted" in notices(user)


def test_a_completed_order_can_be_returned_and_a_refusal_puts_it_back_to_completed(api_client, user):
    order = delivered_order(user, make_product())
    order_services.order_complete(order=order)

    post(api_client, user, order, "return", reason="Wrong colour")
    refused = post(api_client, order.shop.owner, order, "refuse", reason="Colour as pictured")

    assert refused.json()["status"] == "completed"


def test_the_return_window_closes(api_client, user, settings):
    order = delivered_order(user, make_product())
    Order.objects.filter(pk=order.pk).update(
        delivered_at=timezone.now() - timedelta(days=settings.ORDER_RETURN_WINDOW_DAYS, minutes=1)
    )

    r = post(api_client, user, order, "return", reason="Too late?")

    assert r.status_code == 409 and r.json()["error"]["code"] == "return_window_closed"
    assert Order.objects.get(pk=order.pk).status == S.DELIVERED


def test_a_return_request_is_not_auto_completed(user):
    order = delivered_order(user, make_product())
    services.order_return_request(order=order, buyer=user, reason="Broken")
    Order.objects.filter(pk=order.pk).update(delivered_at=timezone.now() - timedelta(days=30))

    order_services.order_complete_overdue()

    assert Order.objects.get(pk=order.pk).status == S.RETURN_REQUESTED


# --- pages ----------------------------------------------------------------------------------------


def test_buyer_and_seller_do_the_refund_on_the_order_pages(client, user):
    product = make_product(stock=3, title="Jasmine tea")
    order = paid_order(user, product, 1)
    seller = order.shop.owner

    client.force_login(user)
    page = client.get(f"/orders/{order.pk}/").content.decode()
    assert "Request a refund" in page
    r = client.post(f"/orders/{order.pk}/after-sale/refund/", {"reason": "Changed my mind"}, follow=True)
    assert r.status_code == 200 and "Refund requested for order" in r.content.decode()

    client.force_login(seller)
    page = client.get(f"/orders/{order.pk}/").content.decode()
    assert "Approve refund" in page and "Changed my mind" in page
    r = client.post(f"/orders/{order.pk}/after-sale/approve/", follow=True)
    assert "items are back in stock" in r.content.decode()
    assert Product.objects.get(pk=product.pk).stock == 3
    assert Order.objects.get(pk=order.pk).status == S.REFUNDED


def test_a_refused_page_action_keeps_what_was_typed_and_says_why(client, user):
    order = delivered_order(user, make_product())
    services.order_return_request(order=order, buyer=user, reason="Broken")
    client.force_login(order.shop.owner)

    r = client.post(f"/orders/{order.pk}/after-sale/refuse/", {"reason": "   "})
    long = client.post(f"/orders/{order.pk}/after-sale/refuse/", {"reason": "x" * 600})
    unknown = client.post(f"/orders/{order.pk}/after-sale/explode/", {"reason": "x"})
    nul = client.post(f"/orders/{order.pk}/after-sale/refuse/", {"reason": "bad\x00byte"})

    assert r.status_code == 400 and "Please give a reason." in r.content.decode()
    assert long.status_code == 400
    assert unknown.status_code == 404
    assert nul.status_code == 400 and "NUL" in nul.content.decode()
    assert RefundRequest.objects.get(order=order).status == RefundStatus.REQUESTED


def test_seller_cancels_an_unpaid_order_on_the_page_with_a_reason(client, user, django_capture_on_commit_callbacks):
    product = make_product(stock=2)
    fill_cart(user, (product, 2))
    order = Order.objects.get(pk=checkout_services.checkout_submit(buyer=user).order_ids[0])
    client.force_login(order.shop.owner)

    missing = client.post(f"/orders/{order.pk}/after-sale/cancel/", {"reason": ""})
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(f"/orders/{order.pk}/after-sale/cancel/", {"reason": "Discontinued"}, follow=True)

    assert missing.status_code == 400
    assert done.status_code == 200
    assert Order.objects.get(pk=order.pk).cancel_reason == "Discontinued"
    assert Product.objects.get(pk=product.pk).stock == 2
    assert notices(user) == [f"The seller cancelled order #{order.pk}"]
    client.force_login(user)
    assert "Discontinued" in client.get(f"/orders/{order.pk}/").content.decode()
