"""The sales page worth opening and the home page's lead (issue 9, point 6): live, upcoming and
past sales with banners, dates and countdowns, each with its flash deals (progress) and featured
deals; the home page leads with the live sale's flash deals. Query counts at two sizes."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from marketplace.models import Deal
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
def test_the_home_flash_section_query_count_is_flat(django_assert_num_queries, deals):
    from marketplace.slots import home_flash_deals

    live = sale_at(-timedelta(hours=1), timedelta(hours=5))
    for i in range(deals):
        deal(live, f"Deal {i}", flash_quantity=10 if i % 2 else None)

    # the live sale, its deals, their photos
    with django_assert_num_queries(3):
        html = home_flash_deals()

    assert html.count('class="product-card deal-card"') == min(deals, 4)
