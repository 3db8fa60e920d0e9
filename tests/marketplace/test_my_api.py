"""The marketplace endpoints a mobile app needs: my reviews (list, edit, delete), my voucher
claims (with the ids checkout takes), my shop's products including drafts, and the seller
cancelling an unpaid order with a reason. List endpoints have their query counts pinned at two
sizes."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from marketplace.models import Order, OrderStatus, Product, ProductStatus, Review
from marketplace.services import checkout as checkout_services
from tests.community.factories import UserFactory
from tests.marketplace.factories import (
    ProductFactory,
    ReviewFactory,
    ShopFactory,
    fill_cart,
    make_product,
    make_voucher_claim,
)

pytestmark = pytest.mark.django_db


# --- my reviews ----------------------------------------------------------------------------------


def test_author_edits_a_review_and_the_ratings_follow(api_client, user):
    review = ReviewFactory(author=user, order_line__order__buyer=user, rating=5)
    ReviewFactory(product=review.product, order_line__product=review.product, rating=5)
    api_client.force_authenticate(user)

    r = api_client.patch(f"/api/v1/reviews/{review.pk}/", {"rating": 1, "text": "  Broke in a week  "}, format="json")

    assert r.status_code == 200, r.content
    assert r.json()["rating"] == 1 and r.json()["text"] == "Broke in a week"
    product = Product.objects.get(pk=review.product_id)
    assert (product.rating_avg, product.rating_count) == (Decimal("3.00"), 2)


def test_author_deletes_a_review_and_may_review_the_line_again(api_client, user):
    review = ReviewFactory(author=user, order_line__order__buyer=user, rating=2)
    api_client.force_authenticate(user)

    r = api_client.delete(f"/api/v1/reviews/{review.pk}/")

    assert r.status_code == 204
    assert not Review.objects.filter(pk=review.pk).exists()
    assert Product.objects.get(pk=review.product_id).rating_count == 0
    again = api_client.post("/api/v1/reviews/", {"order_line": review.order_line_id, "rating": 4}, format="json")
    assert again.status_code == 201, again.content


def test_only_the_author_may_edit_or_delete_a_review(api_client, user):
    review = ReviewFactory()
    api_client.force_authenticate(user)

    edit = api_client.patch(f"/api/v1/reviews/{review.pk}/", {"rating": 1}, format="json")
    delete = api_client.delete(f"/api/v1/reviews/{review.pk}/")
    missing = api_client.delete("/api/v1/reviews/999999/")

    assert edit.status_code == 403 and edit.json()["error"]["code"] == "not_author"
    assert delete.status_code == 403
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert Review.objects.get(pk=review.pk).rating == 5


def test_review_edit_refuses_a_bad_rating(api_client, user):
    review = ReviewFactory(author=user, order_line__order__buyer=user)
    api_client.force_authenticate(user)

    r = api_client.patch(f"/api/v1/reviews/{review.pk}/", {"rating": 9}, format="json")

    assert r.status_code == 400 and "rating" in r.json()["error"]["fields"]


def test_my_reviews_lists_only_mine_hidden_ones_included(api_client, user):
    mine = [ReviewFactory(author=user, order_line__order__buyer=user) for _ in range(2)]
    Review.objects.filter(pk=mine[0].pk).update(visibility="hidden")
    ReviewFactory()
    api_client.force_authenticate(user)

    r = api_client.get("/api/v1/me/reviews/")

    assert r.status_code == 200
    assert sorted(row["id"] for row in r.json()["results"]) == sorted(review.pk for review in mine)
    assert {row["visibility"] for row in r.json()["results"]} == {"visible", "hidden"}


@pytest.mark.parametrize("rows", [3, 30])
def test_my_reviews_query_count(api_client, django_assert_num_queries, rows):
    author = UserFactory()
    for _ in range(rows):
        ReviewFactory(author=author, order_line__order__buyer=author)
    api_client.force_authenticate(author)

    # count, reviews (+ author, product), images
    with django_assert_num_queries(3):
        r = api_client.get("/api/v1/me/reviews/?page_size=100")
    assert r.json()["count"] == rows


# --- my voucher claims ---------------------------------------------------------------------------


def test_my_voucher_claims_carry_the_ids_checkout_takes(api_client, user):
    product = make_product(price=Decimal("150.00"))
    claim = make_voucher_claim(user, product.shop, min_spend="100.00", discount="20.00")
    expired = make_voucher_claim(
        user,
        ShopFactory(),
        valid_from=timezone.now() - timedelta(days=3),
        valid_until=timezone.now() - timedelta(days=1),
    )
    make_voucher_claim(UserFactory(), product.shop)
    api_client.force_authenticate(user)

    everything = api_client.get("/api/v1/me/voucher-claims/").json()["results"]
    usable = api_client.get("/api/v1/me/voucher-claims/?usable=true").json()["results"]
    unusable = api_client.get("/api/v1/me/voucher-claims/?usable=false").json()["results"]

    assert sorted(row["id"] for row in everything) == sorted([claim.pk, expired.pk])
    assert [row["id"] for row in usable] == [claim.pk] and usable[0]["usable"] is True
    assert usable[0]["voucher"]["discount"] == "20.00" and usable[0]["voucher"]["shop"]["id"] == product.shop_id
    assert [row["id"] for row in unusable] == [expired.pk]
    # then checkout takes the id
    fill_cart(user, (product, 1))
    r = api_client.post("/api/v1/checkout/", {"vouchers": [usable[0]["id"]]}, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["orders"][0]["discount"] == "20.00"
    after = api_client.get("/api/v1/me/voucher-claims/").json()["results"]
    assert next(row for row in after if row["id"] == claim.pk)["used_at"] is not None


@pytest.mark.parametrize("rows", [3, 30])
def test_my_voucher_claims_query_count(api_client, django_assert_num_queries, rows):
    user = UserFactory()
    for _ in range(rows):
        make_voucher_claim(user, ShopFactory())
    api_client.force_authenticate(user)

    # count, claims (+ voucher, shop)
    with django_assert_num_queries(2):
        r = api_client.get("/api/v1/me/voucher-claims/?page_size=100")
    assert r.json()["count"] == rows


# --- my shop's products, drafts included --------------------------------------------------------------


def test_seller_lists_own_products_with_drafts(api_client):
    shop = ShopFactory()
    draft = ProductFactory(shop=shop, status=ProductStatus.DRAFT)
    active = make_product(shop=shop)
    make_product()  # someone else's
    api_client.force_authenticate(shop.owner)

    everything = api_client.get("/api/v1/products/mine/")
    drafts = api_client.get("/api/v1/products/mine/?status=draft")
    bad = api_client.get("/api/v1/products/mine/?status=nope")
    public = api_client.get("/api/v1/products/")

    assert sorted(row["id"] for row in everything.json()["results"]) == sorted([draft.pk, active.pk])
    assert [row["id"] for row in drafts.json()["results"]] == [draft.pk]
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_status"
    assert draft.pk not in [row["id"] for row in public.json()["results"]]


def test_my_products_needs_a_shop_and_a_sign_in(api_client, user):
    assert api_client.get("/api/v1/products/mine/").status_code == 401
    api_client.force_authenticate(user)
    r = api_client.get("/api/v1/products/mine/")
    assert r.status_code == 403 and r.json()["error"]["code"] == "no_shop"


@pytest.mark.parametrize("rows", [3, 30])
def test_my_products_query_count(api_client, django_assert_num_queries, rows):
    shop = ShopFactory()
    for index in range(rows):
        ProductFactory(shop=shop, status=ProductStatus.DRAFT if index % 2 else ProductStatus.ACTIVE)
    api_client.force_authenticate(shop.owner)

    # the owner's shop, count, products (+ shop, category, prices, cover), images
    with django_assert_num_queries(4):
        r = api_client.get("/api/v1/products/mine/?page_size=100")
    assert r.json()["count"] == rows


# --- the seller cancels an unpaid order --------------------------------------------------------------


def _placed(buyer, product, quantity=2) -> Order:
    fill_cart(buyer, (product, quantity))
    return Order.objects.get(pk=checkout_services.checkout_submit(buyer=buyer).order_ids[0])


def test_seller_cancels_an_unpaid_order_with_a_reason_and_stock_comes_back(api_client, user):
    product = make_product(stock=5)
    order = _placed(user, product)
    api_client.force_authenticate(order.shop.owner)

    no_reason = api_client.post(f"/api/v1/orders/{order.pk}/cancel/?as=seller", {}, format="json")
    r = api_client.post(
        f"/api/v1/orders/{order.pk}/cancel/", {"reason": "Out of stock in the warehouse"}, format="json"
    )
    again = api_client.post(f"/api/v1/orders/{order.pk}/cancel/", {"reason": "again"}, format="json")

    assert no_reason.status_code == 400 and no_reason.json()["error"]["code"] == "reason_required"
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "cancelled" and r.json()["cancel_reason"] == "Out of stock in the warehouse"
    assert Product.objects.get(pk=product.pk).stock == 5
    assert again.status_code == 409
    assert Product.objects.get(pk=product.pk).stock == 5  # exactly once


def test_seller_cannot_cancel_a_paid_order_and_others_cannot_cancel_at_all(api_client, user):
    order = _placed(user, make_product())
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.PAID)
    api_client.force_authenticate(order.shop.owner)

    paid = api_client.post(f"/api/v1/orders/{order.pk}/cancel/", {"reason": "changed my mind"}, format="json")
    api_client.force_authenticate(UserFactory())
    stranger = api_client.post(f"/api/v1/orders/{order.pk}/cancel/", {"reason": "x"}, format="json")

    assert paid.status_code == 409 and paid.json()["error"]["code"] == "invalid_transition"
    assert stranger.status_code == 404
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID


def test_buyer_still_cancels_without_a_reason(api_client, user):
    order = _placed(user, make_product())
    api_client.force_authenticate(user)

    r = api_client.post(f"/api/v1/orders/{order.pk}/cancel/")

    assert r.status_code == 200 and r.json()["status"] == "cancelled" and r.json()["cancel_reason"] == ""
