"""Redis down, site up (issue 8, point 9): with the cache's Redis unreachable every main page and
API answers (uncached, unthrottled, the badge counted from the database), /healthz names the
cache as down, and when Redis comes back the pages are cached again without a restart.

Redis "goes down" through a relay this test owns (tests/redis_switch.py); the shared Redis
server, the broker and the channel layer are untouched."""

import logging
import time

import pytest
from rest_framework.test import APIClient

from marketplace.models import ProductView
from tests.community.factories import AnswerFactory, NotificationFactory, QuestionFactory, UserFactory
from tests.marketplace.factories import DealFactory, ProductFactory, SaleEventFactory, fill_cart
from tests.redis_switch import RedisSwitch

pytestmark = pytest.mark.django_db

RETRY_SECONDS = 0.3


@pytest.fixture
def switch(redis_url, settings):
    """The default cache goes through a relay to Redis that starts switched off."""
    relay = RedisSwitch(redis_url)
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.RedisCache",
            "LOCATION": relay.url,
            "KEY_PREFIX": "redis-down",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2, "outage_retry_seconds": RETRY_SECONDS},
        }
    }
    yield relay
    relay.off()


@pytest.fixture
def site(db):
    """A shop with a product in a live sale, a question with an answer, a buyer with a cart."""
    product = ProductFactory(title="Silk scarf")
    sale = SaleEventFactory(
        starts_at=product.created_at.replace(year=2020), ends_at=product.created_at.replace(year=2099)
    )
    DealFactory(sale=sale, product=product)
    question = QuestionFactory(product=product)
    AnswerFactory(question=question)
    buyer = UserFactory()
    NotificationFactory(recipient=buyer)
    fill_cart(buyer, (product, 1))
    return {"product": product, "sale": sale, "question": question, "buyer": buyer}


def anonymous_urls(site) -> list[str]:
    product, sale, question = site["product"], site["sale"], site["question"]
    return [
        "/",
        "/products/",
        "/search/?search=silk",
        f"/products/{product.pk}/",
        f"/categories/{product.category.slug}/",
        f"/shops/{product.shop.slug}/",
        "/sales/",
        f"/sales/{sale.slug}/",
        "/questions/",
        f"/products/{product.pk}/questions/",
        f"/questions/{question.pk}/",
        f"/u/{question.author.username}/",
        "/live/",
        "/accounts/login/",
        "/api/v1/products/",
        f"/api/v1/products/{product.pk}/",
        "/api/v1/shops/",
        "/api/v1/categories/",
        "/api/v1/sales/",
        f"/api/v1/sales/{sale.slug}/deals/",
        "/api/v1/questions/",
        f"/api/v1/questions/{question.pk}/answers/",
        f"/api/v1/users/{question.author.username}/",
    ]


SIGNED_IN_URLS = [
    "/",
    "/cart/",
    "/checkout/",
    "/orders/",
    "/notifications/",
    "/me/activity/",
    "/questions/to-answer/",
    "/sell/",
    "/api/v1/me/",
    "/api/v1/cart/",
    "/api/v1/notifications/",
    "/api/v1/questions/for-you/",
]


def test_every_main_page_and_api_serves_while_redis_is_down(switch, site, client, settings, caplog):
    # given the cache's Redis is unreachable and a strict anonymous API rate
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "2/minute", "user": "2/minute"},
    }
    caplog.set_level(logging.WARNING, logger="core.cache")
    buyer, product = site["buyer"], site["product"]

    # when a visitor walks the main pages and API (twice), then signs in and walks theirs
    anonymous = {url: client.get(url).status_code for url in anonymous_urls(site) * 2}
    api = APIClient()
    api.force_authenticate(buyer)
    client.force_login(buyer)
    signed_in = {url: (api if url.startswith("/api/") else client).get(url).status_code for url in SIGNED_IN_URLS}
    product_page = client.get(f"/products/{product.pk}/")

    # then everything answered (no 500, no 429: unthrottled), the badge was counted from the database
    assert {url: code for url, code in anonymous.items() if code != 200} == {}
    assert {url: code for url, code in signed_in.items() if code != 200} == {}
    assert product_page.status_code == 200
    assert 'aria-label="1 unread"' in client.get("/").content.decode()
    # the view dedupe could not be asked, so the view was not recorded (never double counted)
    assert not ProductView.objects.exists()
    # and the outage was logged once, not once per request (maybe already while the site was set
    # up: saving its people bumps their cache tags)
    records = [*caplog.get_records("setup"), *caplog.records]
    assert len([r for r in records if "unreachable" in r.getMessage()]) == 1


def test_healthz_names_the_cache_and_the_site_recovers_without_a_restart(
    switch, site, client, django_assert_num_queries
):
    product_url = f"/products/{site['product'].pk}/"
    # given Redis is down: healthz says which part, pages still serve (built every time)
    health = client.get("/healthz")
    assert health.status_code == 503
    components = health.json()["components"]
    assert components["cache"]["status"] == "down"
    assert [name for name, c in components.items() if c["status"] == "down"] == ["cache"]
    assert client.get(product_url).status_code == 200

    # when Redis comes back
    switch.on()
    time.sleep(RETRY_SECONDS + 0.05)

    # then healthz is green and the product page is cached again: served with no database query
    assert client.get("/healthz").status_code == 200
    assert client.get(product_url).status_code == 200
    with django_assert_num_queries(0):
        assert client.get(product_url).status_code == 200
