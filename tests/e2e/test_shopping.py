"""The shopping journey in a real browser: browse a category, search, open the product, add it
to the cart, check out, pay with the simulated backend; the seller marks the order shipped; the
buyer confirms delivery and reviews it, and the rating shows on the product page."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from marketplace.models import Order, OrderStatus
from tests.community.factories import PASSWORD, UserFactory
from tests.e2e.conftest import login
from tests.marketplace.factories import CategoryFactory, ProductFactory, ShopFactory, make_address, make_live_deal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_buy_pay_ship_confirm_and_review(page, browser, live_server):
    # given a tea shop with two teas in the Tea category (seeded as "Tea 茶叶"), and a shopper
    tea = CategoryFactory(name="Tea", slug="tea")
    seller = UserFactory(username="xiaoming")
    shop = ShopFactory(owner=seller, name="West Lake Teas", slug="west-lake-teas")
    ProductFactory(shop=shop, category=tea, title="Longjing green tea", price=Decimal("68.00"), stock=5)
    ProductFactory(shop=shop, category=tea, title="Pu'er brick", price=Decimal("120.00"), stock=5)
    buyer = UserFactory(username="wei")
    make_address(buyer)  # checkout ships to the default address
    login(page, buyer.username, PASSWORD)

    # when the shopper browses the Tea category
    page.goto("/products/")
    page.get_by_role("navigation", name="Categories").get_by_role("link", name=tea.name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(tea.name)
    expect(page.get_by_role("article")).to_have_count(2)

    # and searches for Longjing, then opens it
    page.get_by_role("search", name="Search and filter products").get_by_label("Search").fill("Longjing")
    page.get_by_role("button", name="Show products").click()
    results = page.get_by_role("article")
    expect(results).to_have_count(1)
    results.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Longjing green tea")

    # and adds two to the cart and checks out
    page.get_by_label("Quantity").fill("2")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your cart")
    expect(page.get_by_test_id("cart-total")).to_have_text("¥136.00")
    page.get_by_role("link", name="Check out").click()
    page.get_by_role("button", name="Place order").click()

    # then the order awaits payment, and paying with the simulated backend marks it paid
    expect(page.get_by_role("status")).to_contain_text("Order placed.")
    expect(page.get_by_role("timer")).to_contain_text("Pay within")
    page.get_by_role("button", name="Pay ¥136.00 — Simulated payment (demo)").click()
    expect(page.get_by_role("status")).to_contain_text("Paid: order #")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Paid")
    order = Order.objects.get(buyer=buyer)
    assert order.status == OrderStatus.PAID

    # when the seller logs in and marks it shipped from the shop's orders
    seller_context = browser.new_context(base_url=live_server.url)
    seller_context.set_default_timeout(15_000)
    seller_page = seller_context.new_page()
    login(seller_page, seller.username, PASSWORD)
    seller_page.goto("/sell/orders/")
    card = seller_page.get_by_role("article", name=f"Order #{order.pk}")
    expect(card).to_contain_text("2 × Longjing green tea")
    card.get_by_role("button", name="Mark shipped").click()
    expect(seller_page.get_by_role("status")).to_contain_text(f"Order #{order.pk} is marked as shipped.")
    expect(seller_page.get_by_role("article", name=f"Order #{order.pk}")).to_contain_text("Shipped")
    seller_context.close()

    # then the buyer sees it shipped, confirms delivery and reviews it
    page.get_by_role("navigation", name="Account").get_by_role("link", name="Orders", exact=True).click()
    page.get_by_role("link", name=f"Order #{order.pk}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Shipped")
    page.get_by_role("button", name="Confirm delivery").click()
    page.get_by_role("link", name="Write a review of Longjing green tea").click()
    page.get_by_label("Rating").select_option("5")
    page.get_by_label("Your review").fill("Fresh and fragrant.")
    page.get_by_role("button", name="Post review").click()
    expect(page.get_by_role("status")).to_contain_text("Thank you for your review!")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Completed")

    # and the product page shows the rating and the review
    page.get_by_role("link", name="Longjing green tea").click()
    expect(page.get_by_text("Rated 5.00/5 (1)")).to_be_visible()
    expect(page.get_by_role("region", name="Reviews")).to_contain_text("Fresh and fragrant.")


def test_a_percentage_deal_is_priced_to_the_fen_in_the_cart_and_at_checkout(page):
    # given a 159.00 teapot at 30% off in a live sale (111.30 — SQLite once showed ¥111 or
    # ¥111.300000000000), and a signed-in shopper
    teapot = ProductFactory(title="Yixing teapot", price=Decimal("159.00"), stock=20, status="active")
    make_live_deal(teapot, percent_off=30)
    buyer = UserFactory(username="fang")
    login(page, buyer.username, PASSWORD)

    # when they add three from the product page
    page.goto(teapot.get_absolute_url())
    expect(page.locator(".price").first).to_contain_text("¥111.30")
    expect(page.get_by_label("Quantity")).to_have_attribute("max", "99")
    page.get_by_label("Quantity").fill("3")
    page.get_by_role("button", name="Add to cart").click()

    # then the cart and the checkout page show the exact amounts
    expect(page.get_by_role("heading", level=1)).to_have_text("Your cart")
    expect(page.get_by_role("row", name="Yixing teapot")).to_contain_text("¥111.30")
    expect(page.get_by_test_id("cart-total")).to_have_text("¥333.90")
    page.get_by_role("link", name="Check out").click()
    expect(page.get_by_role("main")).to_contain_text("¥333.90")
    expect(page.get_by_role("main")).not_to_contain_text("111.3000")
