"""Browser journeys of a sale: the page counts down and flips to deal prices by itself when the
sale opens; a flash deal sells until its cap, then shows "Sold out" and refuses more buyers."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from marketplace.models import Deal, Order
from tests.community.factories import PASSWORD, UserFactory
from tests.e2e.conftest import login
from tests.marketplace.factories import DealFactory, ProductFactory, SaleEventFactory, make_address

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_sale_page_counts_down_then_flips_to_deal_prices(page):
    # given the 12.12 sale opens in 4 seconds with 25% off a necklace
    now = timezone.now()
    sale = SaleEventFactory(
        name="12.12", slug="double-12", starts_at=now + timedelta(seconds=4), ends_at=now + timedelta(hours=1)
    )
    DealFactory(sale=sale, product=ProductFactory(title="Pearl necklace", price=Decimal("200.00")), percent_off=25)

    # when a shopper opens the sale page before it opens
    page.goto("/sales/double-12/")

    # then it shows today's price with the sale price as a teaser, and counts down
    card = page.get_by_role("article", name="Pearl necklace")
    expect(card.locator("[data-price]")).to_have_text("¥200.00")
    expect(card).to_contain_text("12.12 price ¥150.00 (−25%)")
    timer = page.get_by_role("timer")
    expect(timer).to_contain_text("Opens in 00:00:0")
    first = timer.inner_text()
    expect(timer).not_to_have_text(first, timeout=3_000)

    # and when the opening second passes, the page flips by itself to the deal price
    expect(page.locator("[data-sale-status]")).to_have_attribute("data-sale-status", "live", timeout=10_000)
    expect(page.get_by_role("timer")).to_contain_text("Ends in")
    expect(card.locator("[data-price]")).to_contain_text("¥150.00")
    expect(card.locator("del")).to_have_text("¥200.00")


def buy(page, *, title: str):
    """From the sale page: open the deal, add one to the cart, check out."""
    page.goto("/sales/flash-hour/")
    page.get_by_role("article", name=title).get_by_role("link").click()
    page.get_by_role("button", name="Add to cart").click()
    page.get_by_role("link", name="Check out").click()
    page.get_by_role("button", name="Place order").click()


def test_a_flash_deal_sells_until_its_cap_then_shows_sold_out(browser, live_server):
    # given a live sale with a flash deal: 2 units at half price, one per buyer
    now = timezone.now()
    sale = SaleEventFactory(name="Flash hour", slug="flash-hour", starts_at=now - timedelta(minutes=1))
    product = ProductFactory(title="Jade bracelet", price=Decimal("100.00"), stock=10)
    deal = DealFactory(sale=sale, product=product, percent_off=50, flash_quantity=2, per_buyer_limit=1)
    buyers = [UserFactory() for _ in range(3)]
    for buyer in buyers:
        make_address(buyer)  # checkout ships to the default address

    def shopper(user):
        context = browser.new_context(base_url=live_server.url)
        context.set_default_timeout(15_000)
        page = context.new_page()
        login(page, user.username, PASSWORD)
        return context, page

    # when two buyers each buy one
    for user in buyers[:2]:
        context, page = shopper(user)
        page.goto("/sales/flash-hour/")
        expect(page.get_by_role("article", name="Jade bracelet")).to_contain_text("¥50.00")
        buy(page, title="Jade bracelet")
        expect(page.get_by_role("status")).to_contain_text("Order placed")
        context.close()

    # then the sale page shows the flash deal sold out
    context, page = shopper(buyers[2])
    page.goto("/sales/flash-hour/")
    card = page.get_by_role("article", name="Jade bracelet")
    expect(card).to_contain_text("sold 2 of 2")
    expect(card).to_contain_text("Sold out")

    # and so does the product page, for a third buyer: sold out for the sale though stock remains,
    # with nothing to add to the cart (the same rule as the cart and checkout)
    card.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Jade bracelet")
    expect(page.locator(".stats")).to_contain_text("Sold out")
    expect(page.get_by_role("button", name="Add to cart")).to_have_count(0)
    context.close()
    assert Deal.objects.get(pk=deal.pk).flash_sold == 2
    assert sorted(Order.objects.values_list("buyer_id", flat=True)) == sorted(u.id for u in buyers[:2])
    assert all(o.total == Decimal("50.00") for o in Order.objects.all())
