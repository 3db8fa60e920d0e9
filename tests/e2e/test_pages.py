"""Browser checks of the shopper- and seller-facing pages of issue 9: the seller's revenue chart
reads whole at any width; the product page's gallery, flash-deal progress and countdown; the
sales page and the home page's flash deals."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from marketplace.models import Deal, Order, OrderStatus
from tests.community.factories import PASSWORD, UserFactory
from tests.e2e.conftest import login
from tests.marketplace.factories import ProductFactory, ProductImageFactory, ShopFactory, make_live_deal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BOXES = """(selector) => Array.from(document.querySelectorAll(selector))
  .filter((e) => e.getClientRects().length && getComputedStyle(e).display !== 'none')
  .map((e) => {
    const r = e.getBoundingClientRect();
    return {text: e.textContent.trim(), left: r.left, right: r.right};
  })"""


@pytest.mark.parametrize("width", [1280, 390])
def test_the_revenue_chart_has_whole_ticks_and_no_cut_or_crowded_dates(page, width):
    # given a small shop that sold ¥1 to ¥3 a day on a few of the last 30 days
    seller = UserFactory(username="seller")
    shop = ShopFactory(owner=seller)
    buyer = UserFactory()
    now = timezone.now()
    for days_ago, total in [(0, "3.00"), (2, "1.00"), (9, "2.00"), (27, "1.00")]:
        Order.objects.create(
            buyer=buyer,
            shop=shop,
            status=OrderStatus.PAID,
            subtotal=Decimal(total),
            total=Decimal(total),
            paid_at=now - timedelta(days=days_ago),
        )
    page.set_viewport_size({"width": width, "height": 900})

    # when the seller opens the dashboard
    login(page, "seller", PASSWORD)
    page.goto("/sell/")

    # then the axis reads ¥0, ¥1, ¥2, ¥3 (whole, none repeated)
    expect(page.locator(".chart-y span")).to_have_text(["¥0", "¥1", "¥2", "¥3"])
    # and every date shown lies inside the chart, the last one is today's, whole, and none overlap
    chart = page.locator(".chart").bounding_box()
    labels = page.evaluate(BOXES, ".chart-x span")
    assert len(labels) >= 3
    for label in labels:
        assert chart["x"] - 0.5 <= label["left"] and label["right"] <= chart["x"] + chart["width"] + 0.5, label
    for before, after in zip(labels, labels[1:], strict=False):
        assert before["right"] + 4 <= after["left"], (before, after)
    today = timezone.localdate()
    assert labels[-1]["text"] == f"{today:%b} {today.day}"
    # and the page itself is no wider than the screen
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_a_shop_without_paid_orders_sees_a_sentence_instead_of_an_empty_chart(page):
    ShopFactory(owner=UserFactory(username="seller"))

    login(page, "seller", PASSWORD)
    page.goto("/sell/")

    expect(page.locator("[data-chart-empty]")).to_contain_text("No paid orders in the last 30 days yet.")
    expect(page.locator(".chart")).to_have_count(0)


# --- the product page ------------------------------------------------------------------------


def test_the_gallery_shows_every_photo_by_click_keyboard_and_swipe(page, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    # given a product with three photos
    product = ProductFactory(title="Pearl necklace")
    photos = [ProductImageFactory(product=product, position=i).display_url for i in range(3)]
    page.goto(product.get_absolute_url())
    main = page.locator("[data-gallery-main]")
    counter = page.locator("[data-gallery-count]")
    expect(main).to_have_attribute("src", photos[0])
    expect(counter).to_have_text("1 / 3")

    # when the shopper clicks the third thumbnail, it is shown in place (no navigation)
    page.get_by_role("link", name="Pearl necklace, photo 3", exact=True).click()
    expect(main).to_have_attribute("src", photos[2])
    expect(counter).to_have_text("3 / 3")
    assert page.url.endswith(product.get_absolute_url())

    # and with the keyboard: focus the photo, → wraps to the first, ← goes back, Home/End
    main.focus()
    page.keyboard.press("ArrowRight")
    expect(main).to_have_attribute("src", photos[0])
    page.keyboard.press("ArrowLeft")
    expect(main).to_have_attribute("src", photos[2])
    page.keyboard.press("Home")
    expect(counter).to_have_text("1 / 3")
    expect(page.locator('[data-gallery-thumb][aria-current="true"]')).to_have_attribute("href", photos[0])

    # and a swipe to the left shows the next photo, one to the right the previous
    box = main.bounding_box()
    y = box["y"] + box["height"] / 2
    for start, end, expected in ((0.8, 0.2, photos[1]), (0.2, 0.8, photos[0])):
        page.mouse.move(box["x"] + box["width"] * start, y)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * end, y, steps=5)
        page.mouse.up()
        expect(main).to_have_attribute("src", expected)

    # and the ‹ › buttons step too
    page.get_by_role("button", name="Next photo").click()
    expect(counter).to_have_text("2 / 3")


def test_the_flash_deal_shows_its_progress_and_counts_down(page):
    # given a flash deal, 83 of 200 sold, in a sale that ends in an hour
    product = ProductFactory(title="Jade bracelet", price=Decimal("100.00"), stock=500)
    deal = make_live_deal(product, percent_off=50, flash_quantity=200)
    Deal.objects.filter(pk=deal.pk).update(flash_sold=83)

    page.goto(product.get_absolute_url())

    box = page.locator("[data-deal-box]")
    expect(box).to_contain_text("83 of 200 sold")
    expect(box.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "83")
    timer = box.get_by_role("timer")
    expect(timer).to_contain_text(re.compile(r"Deal ends in 0?0:5\d:\d\d|Deal ends in 01:00:00"))
    first = timer.inner_text()
    expect(timer).not_to_have_text(first, timeout=3_000)
