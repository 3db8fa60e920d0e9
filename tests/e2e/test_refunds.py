"""The after-sale journey in a real browser: a buyer asks for a refund of a paid order before it
ships, the seller approves it on their order page, the stock is back on sale, and the buyer
finds the news in their inbox. Screenshots at 1280 and 390 px (``JISHI_SCREENSHOTS`` keeps them)."""

import os
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from marketplace.models import Order, OrderStatus, Product
from marketplace.services import checkout as checkout_services
from marketplace.services import orders as order_services
from tests.community.factories import PASSWORD, UserFactory
from tests.e2e.conftest import login
from tests.marketplace.factories import ShopFactory, fill_cart, make_product

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FITS = "document.documentElement.scrollWidth <= window.innerWidth"
#: What sticks out on the right, to say why a page does not fit.
WIDE = """[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
  .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""


def _shoot(page, name: str, tmp_path) -> None:
    folder = os.environ.get("JISHI_SCREENSHOTS") or str(tmp_path)
    os.makedirs(folder, exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.reload()
        assert page.evaluate(FITS), f"{name} is wider than {width} px: {page.evaluate(WIDE)}"
        page.screenshot(path=os.path.join(folder, f"refund-{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_refund_requested_seller_approves_stock_back_buyer_notified(page, browser, live_server, tmp_path):
    # given a paid order of 2 of 5 silk scarves
    seller = UserFactory(username="meimei")
    shop = ShopFactory(owner=seller, name="Suzhou Silks", slug="suzhou-silks")
    scarf = make_product(shop=shop, title="Silk scarf", price=Decimal("88.00"), stock=5)
    buyer = UserFactory(username="lin")
    fill_cart(buyer, (scarf, 2))
    order = Order.objects.get(pk=checkout_services.checkout_submit(buyer=buyer).order_ids[0])
    order_services.order_pay(order=order, buyer=buyer)
    assert Product.objects.get(pk=scarf.pk).stock == 3

    # when the buyer asks for a refund on the order page, with a reason
    login(page, buyer.username, PASSWORD)
    page.goto(f"/orders/{order.pk}/")
    page.get_by_label("Reason (optional)").fill("Ordered the wrong colour")
    page.get_by_role("button", name="Request a refund").click()
    expect(page.get_by_role("status")).to_contain_text(f"Refund requested for order #{order.pk}.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Refund requested")
    expect(page.locator("#after-sale-section")).to_contain_text("Ordered the wrong colour")
    _shoot(page, "buyer-requested", tmp_path)

    # and the seller, told in their inbox, approves it on their order page
    seller_context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    seller_context.set_default_timeout(15_000)
    seller_page = seller_context.new_page()
    login(seller_page, seller.username, PASSWORD)
    seller_page.goto("/notifications/")
    seller_page.get_by_role("button", name=f"Refund requested for order #{order.pk}").click()
    expect(seller_page.get_by_role("heading", level=1)).to_contain_text(f"Order #{order.pk}")
    expect(seller_page.locator("#after-sale-section")).to_contain_text("Ordered the wrong colour")
    _shoot(seller_page, "seller-to-approve", tmp_path)
    seller_page.get_by_role("button", name="Approve refund").click()
    expect(seller_page.get_by_role("status")).to_contain_text("items are back in stock")
    expect(seller_page.get_by_role("heading", level=1)).to_contain_text("Refunded")
    _shoot(seller_page, "seller-approved", tmp_path)
    seller_context.close()

    # then the stock is back on sale and the buyer is notified
    assert Product.objects.get(pk=scarf.pk).stock == 5
    assert Order.objects.get(pk=order.pk).status == OrderStatus.REFUNDED
    page.goto(f"/products/{scarf.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Silk scarf")
    page.goto("/notifications/")
    expect(page.get_by_role("main")).to_contain_text(f"Your refund for order #{order.pk} was approved")
    _shoot(page, "buyer-inbox", tmp_path)
    page.get_by_role("button", name=f"Your refund for order #{order.pk} was approved").click()
    expect(page.locator("#after-sale-section")).to_contain_text("Refund reference: SIM-REFUND-")
    _shoot(page, "buyer-refunded", tmp_path)
