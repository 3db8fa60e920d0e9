"""The sales API: sale list and detail, a sale's deals (effective prices, flash counters), deal
enrolment by sellers; query counts flat from 5 to 50 rows."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from marketplace.models import Deal, DealStatus, ProductStatus, SaleRanking
from tests.marketplace.factories import DealFactory, ProductFactory, SaleEventFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def live_sale():
    now = timezone.now()
    return SaleEventFactory(slug="double-12", starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1))


@pytest.fixture
def upcoming_sale():
    now = timezone.now()
    return SaleEventFactory(slug="new-year", starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=2))


def test_sale_list_reports_the_status_by_the_clock(api_client, live_sale, upcoming_sale):
    DealFactory(sale=live_sale)
    DealFactory(sale=live_sale, status=DealStatus.PENDING)

    everything = api_client.get("/api/v1/sales/").json()["results"]
    only_upcoming = api_client.get("/api/v1/sales/?status=scheduled").json()["results"]

    assert [(s["slug"], s["status"], s["deal_count"]) for s in everything] == [
        ("double-12", "live", 1),
        ("new-year", "scheduled", 0),
    ]
    assert everything[0]["url"] == "/sales/double-12/"
    assert [s["slug"] for s in only_upcoming] == ["new-year"]


@pytest.mark.parametrize("size", [5, 50])
def test_sale_list_query_count_is_flat(api_client, django_assert_num_queries, size):
    SaleEventFactory.create_batch(size)

    with django_assert_num_queries(2):  # count, page
        response = api_client.get("/api/v1/sales/?page_size=100")

    assert len(response.json()["results"]) == size


def test_sale_detail_carries_the_server_clock_and_leaderboards(api_client, live_sale):
    deal = DealFactory(sale=live_sale)
    now = timezone.now()
    SaleRanking.objects.create(
        sale=live_sale, kind="shop", rank=1, shop=deal.product.shop, units_sold=7, computed_at=now
    )
    SaleRanking.objects.create(
        sale=live_sale, kind="product", rank=1, product=deal.product, units_sold=7, computed_at=now
    )

    body = api_client.get("/api/v1/sales/double-12/").json()

    assert body["status"] == "live"
    assert body["server_time"]
    assert body["top_shops"] == [
        {"rank": 1, "id": deal.product.shop_id, "name": deal.product.shop.name, "units_sold": 7}
    ]
    assert body["top_products"][0]["name"] == deal.product.title
    assert api_client.get("/api/v1/sales/nope/").status_code == 404


def test_deals_carry_effective_price_and_flash_counters(api_client, live_sale, upcoming_sale):
    product = ProductFactory(price=Decimal("200.00"), stock=30, status=ProductStatus.ACTIVE)
    flash = DealFactory(sale=live_sale, product=product, percent_off=50, flash_quantity=10, flash_sold=4)
    later = DealFactory(sale=upcoming_sale, product=ProductFactory(price=Decimal("80.00")), percent_off=25)

    live_rows = api_client.get("/api/v1/sales/double-12/deals/").json()["results"]
    upcoming_rows = api_client.get("/api/v1/sales/new-year/deals/").json()["results"]

    row = live_rows[0]
    assert row["id"] == flash.id
    assert (row["list_price"], row["sale_price"], row["effective_price"]) == ("200.00", "100.00", "100.00")
    assert row["price_is_this_deal"] is True
    assert row["flash"] == {"quantity": 10, "sold": 4, "remaining": 6}
    assert row["sold_out"] is False
    assert row["product"]["shop"] == product.shop.slug
    # before a sale opens its deals show the teaser price but the buyer pays the list price
    assert upcoming_rows[0]["id"] == later.id
    assert (upcoming_rows[0]["sale_price"], upcoming_rows[0]["effective_price"]) == ("60.00", "80.00")
    assert upcoming_rows[0]["flash"] is None


def test_deals_filter_and_sort(api_client, live_sale):
    cheap = DealFactory(sale=live_sale, product=ProductFactory(price=Decimal("10.00")), percent_off=10)
    steep = DealFactory(sale=live_sale, product=ProductFactory(price=Decimal("99.00")), percent_off=70)

    by_price = api_client.get("/api/v1/sales/double-12/deals/?sort=price").json()["results"]
    by_discount = api_client.get("/api/v1/sales/double-12/deals/").json()["results"]
    by_shop = api_client.get(f"/api/v1/sales/double-12/deals/?shop={steep.product.shop.slug}").json()["results"]
    by_category = api_client.get(f"/api/v1/sales/double-12/deals/?category={cheap.product.category.slug}").json()[
        "results"
    ]

    assert [r["id"] for r in by_price] == [cheap.id, steep.id]
    assert [r["id"] for r in by_discount] == [steep.id, cheap.id]
    assert [r["id"] for r in by_shop] == [steep.id]
    assert [r["id"] for r in by_category] == [cheap.id]


@pytest.mark.parametrize("size", [5, 50])
def test_deal_list_query_count_is_flat(api_client, live_sale, django_assert_num_queries, size):
    DealFactory.create_batch(size, sale=live_sale)

    with django_assert_num_queries(4):  # sale, count, deals with products/shops/categories, images
        response = api_client.get("/api/v1/sales/double-12/deals/?page_size=100")

    assert len(response.json()["results"]) == size


def test_a_seller_enrols_a_product_over_the_api(api_client, upcoming_sale):
    product = ProductFactory(price=Decimal("50.00"), stock=10, status=ProductStatus.ACTIVE)
    api_client.force_authenticate(product.shop.owner)

    response = api_client.post(
        "/api/v1/sales/new-year/deals/",
        {"product": product.id, "deal_price": "39.90", "flash_quantity": 5, "per_buyer_limit": 2},
    )

    assert response.status_code == 201
    assert response.json() == {
        "id": Deal.objects.get().id,
        "sale": "new-year",
        "product": product.id,
        "deal_price": "39.90",
        "percent_off": None,
        "flash_quantity": 5,
        "per_buyer_limit": 2,
        "status": "pending",
    }


def test_enrolment_refusals_over_the_api(api_client, user, upcoming_sale, live_sale):
    product = ProductFactory(price=Decimal("50.00"), stock=10, status=ProductStatus.ACTIVE)

    anonymous = api_client.post("/api/v1/sales/new-year/deals/", {"product": product.id, "percent_off": 10})
    api_client.force_authenticate(user)
    not_mine = api_client.post("/api/v1/sales/new-year/deals/", {"product": product.id, "percent_off": 10})
    api_client.force_authenticate(product.shop.owner)
    too_late = api_client.post("/api/v1/sales/double-12/deals/", {"product": product.id, "percent_off": 10})
    bad = api_client.post("/api/v1/sales/new-year/deals/", {"product": product.id, "percent_off": 120})
    huge = {"product": product.id, "percent_off": 10, "per_buyer_limit": 2**70}  # was a 500: integer out of range
    too_big = api_client.post("/api/v1/sales/new-year/deals/", huge, format="json")

    assert anonymous.status_code == 401
    assert (not_mine.status_code, not_mine.json()["error"]["code"]) == (403, "not_your_product")
    assert (too_late.status_code, too_late.json()["error"]["code"]) == (409, "enrolment_closed")
    assert bad.status_code == 400
    assert too_big.status_code == 400 and "per_buyer_limit" in too_big.json()["error"]["message"]
    assert not Deal.objects.exists()
