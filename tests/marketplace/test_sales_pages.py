"""The sales page worth opening and the home page's lead (issue 9, point 6): live, upcoming and
past sales with banners, dates and countdowns, each with its flash deals (progress) and featured
deals; the home page leads with the live sale's flash deals. Query counts at two sizes."""

import re
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from marketplace.models import Deal, DealStatus
from marketplace.services.checkout import order_place
from marketplace.services.orders import order_cancel
from marketplace.services.sales import deal_moderate, sale_save
from tests.marketplace.catalogue_support import image_bytes
from tests.marketplace.factories import DealFactory, ProductFactory, SaleEventFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]


def sale_at(start, end, **kwargs):
    now = timezone.now()
    return SaleEventFactory(starts_at=now + start, ends_at=now + end, **kwargs)


def deal(sale, title, *, price="100.00", sold=None, **kwargs):
    product = ProductFactory(title=title, price=Decimal(price), stock=500)
    made = DealFactory(sale=sale, product=product, **kwargs)
    if sold is not None:
        Deal.objects.filter(pk=made.pk).update(flash_sold=sold)
    return made


def section(html: str, status: str) -> str:
    match = re.search(rf'<section class="sale-group"[^>]*data-sale-group="{status}">.*?</section>', html, re.S)
    return match.group(0) if match else ""


def test_the_sales_page_groups_live_upcoming_and_past_sales_with_their_deals(client):
    # given a live sale with a flash deal (83 of 200 sold) and a featured deal, 12.12 coming
    # (with a banner) and 11.11 over
    live = sale_at(-timedelta(hours=1), timedelta(hours=5), name="Winter warm-up")
    deal(live, "Sunflower seeds", percent_off=50, flash_quantity=200, sold=83)
    deal(live, "Silk pillowcase", percent_off=30)
    banner = SimpleUploadedFile("b.jpg", image_bytes(size=(120, 30)), content_type="image/jpeg")
    coming = sale_at(timedelta(days=3), timedelta(days=4), name="12.12", banner=banner)
    deal(coming, "Pearl necklace", price="200.00", percent_off=25)
    past = sale_at(-timedelta(days=20), -timedelta(days=19), name="11.11")
    deal(past, "Jade roller", price="60.00", percent_off=50)

    html = client.get(reverse("marketplace:sale_list")).content.decode()

    # then each sale is in its group, in order: live, coming up, past
    live_html, coming_html, past_html = (section(html, s) for s in ("live", "scheduled", "ended"))
    assert "Winter warm-up" in live_html and "12.12" in coming_html and "11.11" in past_html
    assert html.index("Live now") < html.index("Coming up") < html.index("Past sales")
    # the live sale shows its flash deal's progress and its featured deal, and counts down
    assert "Flash deals" in live_html and "Flash deal: sold 83 of 200" in live_html
    assert 'aria-valuenow="83"' in live_html and "Featured deals" in live_html and "Silk pillowcase" in live_html
    assert f'data-target-ms="{int(live.ends_at.timestamp() * 1000)}"' in live_html
    # 12.12 shows its banner, its dates, the price to come and counts down to its opening
    assert coming.banner.url in coming_html
    assert f'datetime="{timezone.localtime(coming.starts_at).isoformat()}"' in coming_html
    assert "12.12 price ¥150.00 (−25%)" in coming_html
    assert f'data-target-ms="{int(coming.starts_at.timestamp() * 1000)}"' in coming_html
    # and the past sale says what its deals cost then, with no countdown
    assert "Was ¥30.00 in 11.11" in past_html and "data-countdown" not in past_html
    assert "See the 1 deal" in past_html


def test_the_sales_page_in_chinese(client):
    live = sale_at(-timedelta(hours=1), timedelta(hours=5), name="Warm-up")
    deal(live, "Seeds", flash_quantity=20, sold=5)
    deal(live, "Candle")
    sale_at(-timedelta(days=20), -timedelta(days=19), name="11.11")

    html = client.get(reverse("marketplace:sale_list"), HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()

    for english in ("Live now", "Past sales", "Flash deals", "Featured deals", "See all", "See the"):
        assert english not in html, english
    assert "正在进行" in html and "往期活动" in html and "秒杀" in html


def test_the_home_page_leads_with_the_live_sales_flash_deals(client):
    # given a live sale with two flash deals (one sold out) and a featured deal
    live = sale_at(-timedelta(hours=1), timedelta(hours=5), name="Winter warm-up")
    deal(live, "Sold-out tea", flash_quantity=10, sold=10)
    deal(live, "Sunflower seeds", flash_quantity=200, sold=83)
    deal(live, "Silk pillowcase", percent_off=30)

    html = client.get(reverse("home")).content.decode()

    # then the first section after the welcome is the flash deals, still-to-have first, then
    # sold out, then the biggest discount, with the sale's countdown
    lead = html.index("data-home-flash")
    assert lead < html.index('id="home-sales-title"') and lead < html.index('id="home-market-title"')
    flash = html[lead : html.index("</section>", lead)]
    assert "Flash deals · Winter warm-up" in flash and "Flash deal: sold 83 of 200" in flash
    assert flash.index("Sunflower seeds") < flash.index("Sold-out tea") < flash.index("Silk pillowcase")
    assert f'data-target-ms="{int(live.ends_at.timestamp() * 1000)}"' in flash


def test_without_a_live_sale_the_home_page_has_no_flash_section(client):
    coming = sale_at(timedelta(days=1), timedelta(days=2), name="12.12")
    deal(coming, "Pearl necklace", flash_quantity=5)

    html = client.get(reverse("home")).content.decode()

    assert "data-home-flash" not in html and "12.12" in html


@pytest.mark.parametrize("deals", [1, 10])
def test_the_home_flash_section_query_count_is_flat(client, django_assert_num_queries, deals):
    from marketplace.slots import home_flash_deals_build

    live = sale_at(-timedelta(hours=1), timedelta(hours=5))
    for i in range(deals):
        deal(live, f"Deal {i}", flash_quantity=10 if i % 2 else None)

    # built: the live sale, its deals, their photos, the next sale boundary (the shell's end)
    with django_assert_num_queries(4):
        html, _expires_at = home_flash_deals_build()
    # then the home page's shell has it, from the versioned cache: no query
    client.get(reverse("home"))
    with django_assert_num_queries(0):
        page = client.get(reverse("home")).content.decode()
    assert page.count('class="product-card deal-card"') == html.count('class="product-card deal-card"')

    assert html.count('class="product-card deal-card"') == min(deals, 4)


def home_flash(client) -> str:
    html = client.get(reverse("home")).content.decode()
    if "data-home-flash" not in html:
        return ""
    lead = html.index("data-home-flash")
    return html[lead : html.index("</section>", lead)]


@pytest.mark.parametrize("signed_in", [False, True])
def test_the_cached_home_sections_show_sales_deals_and_stock_changes_on_the_next_request(
    client, user, django_capture_on_commit_callbacks, signed_in
):
    # given a live sale with a flash deal, the home page seen once (its sections are cached) by
    # a visitor or by the buyer signed in
    if signed_in:
        client.force_login(user)
    live = sale_at(-timedelta(hours=1), timedelta(hours=5), name="Winter warm-up")
    seeds = deal(live, "Sunflower seeds", flash_quantity=10, sold=0)
    assert "Flash deal: sold 0 of 10" in home_flash(client)

    # when a buyer checks out three, then the next request shows the counter moved
    with django_capture_on_commit_callbacks(execute=True):
        [order] = order_place(buyer=user, items=[(seeds.product_id, 3)])
    assert "Flash deal: sold 3 of 10" in home_flash(client)

    # when they cancel, then the units are back on the next request
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order=order, buyer=user)
    assert "Flash deal: sold 0 of 10" in home_flash(client)

    # when a moderator approves another deal of the sale, then the next request shows it
    other = deal(live, "Silk pillowcase", percent_off=30, status=DealStatus.PENDING)
    assert "Silk pillowcase" not in home_flash(client)
    with django_capture_on_commit_callbacks(execute=True):
        deal_moderate(deal_ids=[other.pk], approve=True)
    assert "Silk pillowcase" in home_flash(client)

    # when a moderator moves the sale's end to the past, then the next request has no flash
    # section and no sale in the sales list
    live.ends_at = timezone.now() - timedelta(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        sale_save(sale=live)
    html = client.get(reverse("home")).content.decode()
    assert "data-home-flash" not in html and "Winter warm-up" not in html


def test_the_cached_home_sections_follow_a_sale_opening_and_closing_by_the_clock(client):
    # given a sale that opens in a moment and closes a moment later, the home page seen once
    opens = timezone.now() + timedelta(seconds=1.5)
    soon = SaleEventFactory(starts_at=opens, ends_at=opens + timedelta(seconds=1.5), name="Lunch rush")
    deal(soon, "Noodles", flash_quantity=5)
    html = client.get(reverse("home")).content.decode()
    assert "data-home-flash" not in html and "Opens in" in html and "Lunch rush" in html

    # when it opens, then the next request leads with its flash deals and counts down to its end
    time.sleep(max(0, (opens - timezone.now()).total_seconds()) + 0.05)
    flash = home_flash(client)
    assert "Flash deals · Lunch rush" in flash and f'data-target-ms="{int(soon.ends_at.timestamp() * 1000)}"' in flash

    # and when it closes, then the next request shows neither
    time.sleep(max(0, (soon.ends_at - timezone.now()).total_seconds()) + 0.05)
    html = client.get(reverse("home")).content.decode()
    assert "data-home-flash" not in html and "Lunch rush" not in html


def test_the_home_countdowns_carry_the_clock_of_each_response_not_of_the_cache(client):
    # given a live sale on the home page, served twice (the second time from the cache)
    live = sale_at(-timedelta(hours=1), timedelta(hours=5))
    deal(live, "Sunflower seeds", flash_quantity=10)
    first = client.get(reverse("home")).content.decode()
    time.sleep(0.05)
    second = client.get(reverse("home")).content.decode()

    # then each page's countdowns read that response's server clock
    for page in (first, second):
        assert "__JISHI_NOW_MS__" not in page and page.count("data-countdown ") == 2
    clocks = [{int(ms) for ms in re.findall(r'data-server-now-ms="(\d+)"', page)} for page in (first, second)]
    assert len(clocks[0]) == len(clocks[1]) == 1
    assert min(clocks[1]) > max(clocks[0]) and abs(min(clocks[1]) - timezone.now().timestamp() * 1000) < 5_000
