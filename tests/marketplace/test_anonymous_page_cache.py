"""A pristine anonymous product or shop page comes whole from the cache: ONE Redis round trip, no
query, no template — its per-request slots that are the same for every anonymous visitor (the
voucher box, "more from this shop", the follow link) are rendered into the cached page with their
tags (core/slots.py, ``anonymous=``) — and what those slots show is as fresh as when they were
rendered per request: a voucher offered, claimed out or ended, a sibling's price, this request's
path in the "log in" links."""

import re
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core import cache as versioned
from marketplace.selectors.sales import VOUCHER_BOX_SIZE
from marketplace.services import catalogue as catalogue_services
from marketplace.services import sales as sale_services
from tests.community.factories import UserFactory
from tests.marketplace.factories import ProductFactory, ShopFactory, VoucherFactory
from tests.redis_switch import RedisRoundTrips

pytestmark = pytest.mark.django_db


def get(url: str, **cookies) -> str:
    """A request from a new visitor (no cookies unless given)."""
    client = Client()
    for name, value in cookies.items():
        client.cookies[name] = value
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def unmasked(html: str) -> str:
    """The page with its CSRF tokens (masked differently on each response) blanked."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def box(html: str) -> str:
    start = html.index('aria-labelledby="voucher-box-title"')
    return html[start : html.index("</section>", start)]


def a_shop(*, vouchers: int, products: int):
    shop = ShopFactory(name="Meimei Pearls")
    items = [ProductFactory(shop=shop, title=f"Pearl {i}", sales_count=i) for i in range(products)]
    for i in range(vouchers):
        VoucherFactory(shop=shop, min_spend=Decimal(100 + i), discount=Decimal(10 + i))
    return shop, items


@pytest.mark.parametrize(("vouchers", "products"), [(1, 2), (VOUCHER_BOX_SIZE + 3, 12)])
def test_a_cached_pristine_page_costs_one_round_trip_and_no_query(redis_url, monkeypatch, vouchers, products):
    # given a shop with vouchers and products, its shop page and a product page cached once
    shop, items = a_shop(vouchers=vouchers, products=products)
    round_trips = RedisRoundTrips(monkeypatch)
    for url in (items[0].get_absolute_url(), shop.get_absolute_url()):
        first = get(url)
        assert "Shop vouchers" in first and "<!--jishi-slot:" not in first

        # when a new anonymous visitor asks for it
        round_trips.count = 0
        with CaptureQueriesContext(connection) as queries:
            again = get(url)

        # then it is the same page, with the slots in, from one MGET and no query
        assert unmasked(again) == unmasked(first)
        assert len(queries) == 0
        assert round_trips.count == 1
    assert "More from this shop" in get(items[0].get_absolute_url())
    assert "Log in to follow Meimei Pearls" in get(shop.get_absolute_url())


def test_a_process_that_did_not_build_the_page_learns_its_extra_tags_once(redis_url, monkeypatch):
    # given a product page cached by another process (this one forgot which tags it found)
    shop, items = a_shop(vouchers=2, products=3)
    url = items[0].get_absolute_url()
    get(url)
    monkeypatch.setattr(versioned, "_extra_tags", {})

    # then its first hit reads the shop's tags in a second MGET, and the next ones in one
    round_trips = RedisRoundTrips(monkeypatch)
    with CaptureQueriesContext(connection) as queries:
        get(url)
        assert round_trips.count == 2
        get(url)
        assert round_trips.count == 3
    assert len(queries) == 0


def test_voucher_changes_show_on_the_next_anonymous_request(django_capture_on_commit_callbacks):
    # given a product and its shop page cached with one voucher in their boxes
    shop, items = a_shop(vouchers=0, products=2)
    voucher = VoucherFactory(shop=shop, min_spend=Decimal("199.00"), discount=Decimal("20.00"), total=1)
    urls = (items[0].get_absolute_url(), shop.get_absolute_url())
    for url in urls:
        assert "¥20.00 off" in box(get(url))

    # when the seller offers another, then both pages show it at once
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        sale_services.voucher_create(
            user=shop.owner,
            shop=shop,
            min_spend=Decimal("399.00"),
            discount=Decimal("50.00"),
            total=5,
            valid_from=now,
            valid_until=now + timedelta(days=1),
        )
    for url in urls:
        assert "¥50.00 off" in box(get(url))

    # when the last of the first one is claimed, then it is gone from both
    with django_capture_on_commit_callbacks(execute=True):
        sale_services.voucher_claim(user=UserFactory(), voucher_id=voucher.pk)
    for url in urls:
        assert "¥20.00 off" not in box(get(url)) and "¥50.00 off" in box(get(url))

    # when the seller ends the other, then no box is left
    with django_capture_on_commit_callbacks(execute=True):
        sale_services.voucher_end(user=shop.owner, voucher_id=shop.vouchers.get(discount=Decimal("50.00")).pk)
    for url in urls:
        assert "Shop vouchers" not in get(url)


def test_a_voucher_that_runs_out_of_time_leaves_the_cached_page_when_it_ends():
    # given a product page cached while a voucher has about a second left
    shop, items = a_shop(vouchers=0, products=2)
    VoucherFactory(shop=shop, discount=Decimal("30.00"), valid_until=timezone.now() + timedelta(seconds=1.2))
    url = items[0].get_absolute_url()
    assert "¥30.00 off" in box(get(url))
    assert "¥30.00 off" in box(get(url))

    # when it ends (no write: only the clock), then the next anonymous request does not show it
    time.sleep(1.3)
    assert "Shop vouchers" not in get(url)


def test_a_siblings_price_change_shows_on_the_cached_product_page(django_capture_on_commit_callbacks):
    shop, items = a_shop(vouchers=1, products=3)
    url = items[0].get_absolute_url()
    assert "¥" in get(url) and "¥79.00" not in get(url)

    with django_capture_on_commit_callbacks(execute=True):
        catalogue_services.product_update(product=items[2], price=Decimal("79.00"))

    page = get(url)
    assert "¥79.00" in page[page.index("More from this shop") :]


def test_the_log_in_links_carry_this_requests_path_not_the_first_visitors():
    # given a shop page cached by a visitor who came with a tracking parameter
    shop, items = a_shop(vouchers=1, products=2)
    get(f"{shop.get_absolute_url()}?utm_source=first")

    # when another visitor comes with another one, from the same cache entry
    with CaptureQueriesContext(connection) as queries:
        page = get(f"{shop.get_absolute_url()}?utm_source=second")
    assert len(queries) == 0

    # then both "log in" links send them back to their own URL
    back = f"/login/?next={shop.get_absolute_url()}%3Futm_source%3Dsecond"
    assert page.count(back) >= 2  # follow and claim
    assert "utm_source%3Dfirst" not in page and "__JISHI_NEXT__" not in page


def test_an_anonymous_visitor_with_a_session_cookie_sees_the_same_slots():
    # given the pristine page (slots rendered into the cache) and one rendered per request
    shop, items = a_shop(vouchers=2, products=3)
    url = items[0].get_absolute_url()
    pristine = get(url)
    with_session = get(url, sessionid="not-a-session")

    # then the voucher box and "more from this shop" are the same
    assert box(pristine) == box(with_session)
    more = pristine.index('class="more-from-shop"')
    assert pristine[more : pristine.index("</section>", more)] in with_session


def test_a_product_write_in_another_shop_leaves_the_cached_product_page_alone(
    redis_url, monkeypatch, django_capture_on_commit_callbacks
):
    # given a cached product page, and a product of another shop
    shop, items = a_shop(vouchers=1, products=3)
    url = items[0].get_absolute_url()
    get(url)
    elsewhere = ProductFactory(title="Someone else's tea")

    # when that other product changes (every list is re-rendered)
    with django_capture_on_commit_callbacks(execute=True):
        catalogue_services.product_update(product=elsewhere, price=Decimal("12.00"))

    # then this page is still a hit: "more from this shop" depends on its own shop's products
    round_trips = RedisRoundTrips(monkeypatch)
    with CaptureQueriesContext(connection) as queries:
        get(url)
    assert len(queries) == 0 and round_trips.count == 1
