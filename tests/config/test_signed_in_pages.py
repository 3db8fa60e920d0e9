"""Signed-in pages (issue 14): the session comes from the cache (and survives losing it), the
pages' query counts are pinned at two sizes, and a price, stock or deal change is visible on the
next request signed in as it is anonymous."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from community.caching import feed_tag
from community.services.feeds import question_feed_rebuild
from core.cache import bump
from marketplace.caching import cart_tag
from marketplace.services import catalogue as catalogue_services
from marketplace.services import sales as sale_services
from tests.community.factories import PASSWORD, NotificationFactory, QuestionFactory, UserFactory
from tests.marketplace.factories import DealFactory, ProductFactory, SaleEventFactory, fill_cart, make_live_deal

pytestmark = pytest.mark.django_db


@pytest.fixture
def shopper(client):
    """A signed-in shopper with an unread notification (the header's badge)."""
    user = UserFactory(username="wei")
    NotificationFactory(recipient=user)
    assert client.login(username="wei", password=PASSWORD)
    return user


def session_queries(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "django_session" in q["sql"]]


def test_the_badge_comes_with_the_user_and_counts_what_the_inbox_shows(client, shopper):
    # given a shopper with one unread notification (the fixture) and one read
    NotificationFactory(recipient=shopper, read_at=timezone.now())

    # when they open a page, then the header shows 1 unread, read with the user in one query
    with CaptureQueriesContext(connection) as queries:
        html = client.get(reverse("marketplace:cart")).content.decode()
    assert '<span class="badge" aria-label="1 unread">1</span>' in html
    # (on PostgreSQL the user-with-badge read is prepared once per connection: its EXECUTE)
    prepared = "EXECUTE jishi_user_badge_"
    sqls = [q["sql"] for q in queries.captured_queries]
    user_reads = [sql for sql in sqls if 'FROM "community_user"' in sql or prepared in sql]
    assert len(user_reads) == 1 and ("community_notification" in user_reads[0] or prepared in user_reads[0])
    assert not [q for q in queries.captured_queries if q["sql"].startswith("SELECT COUNT(*)")]

    # and when another notification arrives, the next page counts it
    NotificationFactory(recipient=shopper)
    assert 'aria-label="2 unread">2</span>' in client.get(reverse("marketplace:cart")).content.decode()


def test_the_session_is_read_from_the_cache_and_survives_losing_it(client, shopper):
    # given a signed-in shopper whose session has been read once
    product = ProductFactory()
    assert client.get(product.get_absolute_url()).status_code == 200

    # when they open pages, then the session comes from the cache, not PostgreSQL
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("marketplace:cart"))
    assert response.status_code == 200 and response.context["user"] == shopper
    assert session_queries(queries) == []

    # and when the cache loses everything, they are still signed in (read from PostgreSQL once)
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("marketplace:cart"))
    assert response.status_code == 200 and response.context["user"] == shopper
    assert len(session_queries(queries)) == 1


# --- query counts at two sizes ------------------------------------------------------------------


def warm(client, url: str):
    """The first request fills the shared caches (session, catalogue fragments)."""
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("rows", [2, 12])
def test_signed_in_product_page_query_count(client, shopper, django_assert_num_queries, rows):
    # given a product with questions from several people
    product = ProductFactory()
    for _ in range(rows):
        QuestionFactory(product=product)
    warm(client, product.get_absolute_url())

    with django_assert_num_queries(PRODUCT_QUERIES):
        assert client.get(product.get_absolute_url()).status_code == 200


@pytest.mark.parametrize("rows", [2, 12])
def test_signed_in_home_query_count(client, shopper, django_assert_num_queries, rows):
    for _ in range(rows):
        ProductFactory()
    warm(client, reverse("home"))
    with django_assert_num_queries(HOME_QUERIES):
        assert client.get(reverse("home")).status_code == 200


@pytest.mark.parametrize("rows", [2, 12])
@pytest.mark.parametrize("rebuilt", [True, False])
def test_signed_in_questions_query_count(client, shopper, django_assert_num_queries, rows, rebuilt):
    # given questions, and the shopper's "for you" feed rebuilt by the job (or a cold start)
    questions = [QuestionFactory() for _ in range(rows)]
    if rebuilt:
        question_feed_rebuild(user_id=shopper.pk, now=timezone.now())
    warm(client, reverse("community:questions"))
    with django_assert_num_queries(QUESTIONS_QUERIES if rebuilt else QUESTIONS_COLD_START_QUERIES):
        html = client.get(reverse("community:questions")).content.decode()
    assert all(question.text in html for question in questions)

    # and after their feed changes, the page is built again at a count that does not grow either
    bump(feed_tag(shopper.pk))
    with django_assert_num_queries(QUESTIONS_BUILD_QUERIES if rebuilt else QUESTIONS_COLD_START_QUERIES):
        html = client.get(reverse("community:questions")).content.decode()
    assert all(question.text in html for question in questions)


@pytest.mark.parametrize("rows", [2, 12])
def test_signed_in_cart_query_count(client, shopper, django_assert_num_queries, rows):
    products = [ProductFactory(stock=10) for _ in range(rows)]
    make_live_deal(products[0], flash_quantity=5)
    fill_cart(shopper, *((product, 1) for product in products))
    warm(client, reverse("marketplace:cart"))
    with django_assert_num_queries(CART_QUERIES):
        assert client.get(reverse("marketplace:cart")).status_code == 200

    # and after a write to the cart, the page is built again at a count that does not grow either
    bump(cart_tag(shopper.pk))
    with django_assert_num_queries(CART_BUILD_QUERIES):
        html = client.get(reverse("marketplace:cart")).content.decode()
    assert all(product.title in html for product in products)


#: The session comes from the cache, and so do the user and the header's unread badge (one
#: versioned entry: community/backends.py). Product page: none (its cached shell, the account
#: links rendered over the cached user, the visitor's cached voucher box: core/pages.py). Home:
#: none (its shell caches every section, the flash deals and sales with their countdowns
#: included; the countdowns' clock is filled per response). Questions: none (the reader's own
#: page shell, cached under their feed's tag and the tags of what it shows: docs/architecture.md,
#: "Page shells"); built again, two: the page of the "for you" feed with the feed's length
#: (compiled once per process), read again after the tags of the products and authors it names;
#: a cold start (no feed entries yet) is not cached: four, that empty page, whether they have
#: entries, the popular feed's count and rows. Cart: none (the buyer's own page shell, cached
#: under their cart's tag and the tags of what it shows); built again after a write, six: the
#: cart's product and shop ids (for those tags), its priced lines with quantities and images
#: whatever their number (one query compiled once per process), the live deal and the buyer's
#: purchases of it, the claimed vouchers, and the claims' next validity change (its expiry).
PRODUCT_QUERIES, HOME_QUERIES, QUESTIONS_QUERIES, CART_QUERIES = 0, 0, 0, 0
QUESTIONS_BUILD_QUERIES, CART_BUILD_QUERIES = 2, 6
QUESTIONS_COLD_START_QUERIES = 4


# --- changes are visible on the next request, signed in or not ------------------------------------


@pytest.mark.parametrize("signed_in", [False, True])
def test_price_stock_and_deal_changes_show_on_the_next_request(client, django_capture_on_commit_callbacks, signed_in):
    # given a product page seen once (so it is cached), by a shopper or a visitor
    if signed_in:
        UserFactory(username="lili")
        assert client.login(username="lili", password=PASSWORD)
    product = ProductFactory(title="Silk fan", price=Decimal("80.00"), stock=5)
    url = product.get_absolute_url()
    assert "¥80.00" in client.get(url).content.decode()

    # when the seller changes the price, then the next request shows it
    with django_capture_on_commit_callbacks(execute=True):
        catalogue_services.product_update(product=product, price=Decimal("60.00"))
    assert "¥60.00" in client.get(url).content.decode()

    # when the stock runs out, then the next request says so
    with django_capture_on_commit_callbacks(execute=True):
        catalogue_services.product_update(product=product, stock=0)
    assert "Sold out" in client.get(url).content.decode()

    # when a deal of a live sale is approved, then the next request shows the deal price
    with django_capture_on_commit_callbacks(execute=True):
        catalogue_services.product_update(product=product, stock=5)
    now = timezone.now()
    sale = SaleEventFactory(starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1))
    deal = DealFactory(sale=sale, product=product, percent_off=50, deal_price=None)
    with django_capture_on_commit_callbacks(execute=True):
        sale_services.deal_moderate(deal_ids=[deal.pk], approve=True)
    assert "¥30.00" in client.get(url).content.decode()
