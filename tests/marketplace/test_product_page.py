"""The product page a shopper expects (issue 9, point 5): every photo in a gallery, a flash deal's
progress and countdown, "more from this shop" — all correct from the anonymous page cache — and
query counts pinned at two sizes. (Gallery keyboard, click and swipe: tests/e2e/test_pages.py.)"""

import re
import time
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from marketplace.models import Deal
from marketplace.services import catalogue as services
from marketplace.services.checkout import order_place
from tests.community.factories import UserFactory
from tests.marketplace.factories import (
    ProductFactory,
    ProductImageFactory,
    ShopFactory,
    make_live_deal,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded_categories", "media_root")]


def html(client, url, **headers) -> str:
    response = client.get(url, **headers)
    assert response.status_code == 200
    return response.content.decode()


def more_section(page: str) -> str:
    match = re.search(r'<section class="more-from-shop".*?</section>', page, re.S)
    return match.group(0) if match else ""


def test_every_photo_is_in_the_gallery_in_order(client):
    # given a product with three photos
    product = ProductFactory(title="Pearl necklace")
    images = [ProductImageFactory(product=product, position=i) for i in range(3)]

    page = html(client, product.get_absolute_url())

    # then the first is shown, and a thumbnail of each links to its photo, in order
    assert re.search(r'<img data-gallery-main src="' + re.escape(images[0].display_url), page)
    thumbs = re.findall(r'<a href="([^"]+)" data-gallery-thumb', page)
    assert thumbs == [image.display_url for image in images]
    assert "1 / 3" in page and 'aria-label="Next photo"' in page
    assert "Pearl necklace, photo 3 of 3" in page


def test_a_single_photo_needs_no_gallery_controls(client):
    product = ProductFactory()
    ProductImageFactory(product=product)

    page = html(client, product.get_absolute_url())

    assert "data-gallery-main" in page and "data-gallery-thumb" not in page and "Next photo" not in page


def test_a_flash_deal_shows_its_progress_and_a_countdown_to_the_second_from_the_cache(client):
    # given a live sale's flash deal: 200 at half price, 83 sold
    product = ProductFactory(title="Jade bracelet", price=Decimal("100.00"), stock=500)
    deal = make_live_deal(product, percent_off=50, flash_quantity=200, per_buyer_limit=2)
    Deal.objects.filter(pk=deal.pk).update(flash_sold=83)

    # when an anonymous shopper opens the page twice (the second from the whole-page cache)
    first = html(Client(), product.get_absolute_url())
    time.sleep(0.05)
    second = html(Client(), product.get_absolute_url())

    # then the deal box shows the progress and counts down to the sale's end
    for page in (first, second):
        assert "83 of 200 sold" in page
        assert 'aria-valuenow="83"' in page and 'aria-valuemax="200"' in page
        assert f'data-target-ms="{int(deal.sale.ends_at.timestamp() * 1000)}"' in page
        assert "Deal ends in" in page and "max 2 per buyer" in page
        assert "__JISHI_NOW_MS__" not in page
    # and the countdown's server clock is this request's, not the cached page's
    clocks = [int(re.search(r'data-server-now-ms="(\d+)"', page).group(1)) for page in (first, second)]
    assert clocks[1] > clocks[0] and abs(clocks[1] - timezone.now().timestamp() * 1000) < 5_000


def test_a_sale_bumps_the_cached_progress(client, user, django_capture_on_commit_callbacks):
    # given a cached product page with a flash deal
    product = ProductFactory(title="Jade bracelet", price=Decimal("100.00"), stock=500)
    make_live_deal(product, percent_off=50, flash_quantity=200)
    assert "0 of 200 sold" in html(client, product.get_absolute_url())

    # when a buyer checks out three
    with django_capture_on_commit_callbacks(execute=True):
        order_place(buyer=user, items=[(product.pk, 3)])

    # then the next anonymous visitor sees it
    assert "3 of 200 sold" in html(Client(), product.get_absolute_url())


def test_more_from_this_shop_lists_the_shops_other_products_and_stays_fresh(client, django_capture_on_commit_callbacks):
    # given a shop with three products and another shop's product
    shop = ShopFactory(name="Meimei Pearls")
    product = ProductFactory(shop=shop, title="Pearl necklace", sales_count=5)
    earrings = ProductFactory(shop=shop, title="Pearl earrings", sales_count=50, price=Decimal("89.00"))
    ProductFactory(shop=shop, title="Pearl clip", sales_count=10)
    ProductFactory(title="Someone else's tea")

    # when the product page is opened (and then served from the cache)
    first = more_section(html(client, product.get_absolute_url()))

    # then "more from this shop" shows the shop's other products, best-selling first, with a link
    assert "More from this shop" in first and shop.get_absolute_url() in first
    assert first.index("Pearl earrings") < first.index("Pearl clip")
    assert "Pearl necklace" not in first and "Someone else" not in first

    # and when the seller changes the earrings' price, the cached product page shows it at once
    with django_capture_on_commit_callbacks(execute=True):
        services.product_update(product=earrings, price=Decimal("79.00"))
    again = more_section(html(Client(), product.get_absolute_url()))
    assert "¥79.00" in again and "¥89.00" not in again


def test_a_shop_with_one_product_shows_no_more_section(client):
    product = ProductFactory()

    assert "More from this shop" not in html(client, product.get_absolute_url())


def test_the_chinese_product_page(client):
    shop = ShopFactory()
    product = ProductFactory(shop=shop, price=Decimal("100.00"), stock=50)
    ProductFactory(shop=shop)
    for i in range(2):
        ProductImageFactory(product=product, position=i)
    make_live_deal(product, percent_off=50, flash_quantity=20)

    page = html(client, product.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="zh-CN")

    for english in ("of 20 sold", "Deal ends in", "More from this shop", "Next photo", "Flash deal"):
        assert english not in page, english
    assert "已售 0 / 20 件" in page and "本店更多商品" in page


@pytest.mark.parametrize(("siblings", "photos"), [(1, 1), (8, 6)])
def test_product_page_query_counts(client, django_assert_num_queries, siblings, photos):
    # given a product in a live flash deal, with photos and other products in its shop
    shop = ShopFactory()
    product = ProductFactory(shop=shop, stock=100)
    for i in range(photos):
        ProductImageFactory(product=product, position=i)
    for _ in range(siblings):
        ProductImageFactory(product=ProductFactory(shop=shop))
    make_live_deal(product, percent_off=50, flash_quantity=20)
    url = product.get_absolute_url()

    # first visit: product, images, live deal, reviews, next price change; the upper apps' slots
    # (Q&A, live rooms, stories); the voucher box (once, then cached); "more from this shop": its
    # products (with covers), next price change
    with django_assert_num_queries(11):
        html(client, url)
    # then anonymous visits come from the cache, "more from this shop" included
    with django_assert_num_queries(0):
        html(client, url)
    # a signed-in shopper: the cached main part, plus the user (with the header's unread badge; the
    # session comes from the cache) and recording the view (activity, interest, deduplication): the
    # same whatever the photos and siblings
    client.force_login(UserFactory())
    with django_assert_num_queries(12):
        html(client, url)
