"""Catalogue API: shops, categories, products (filters, ordering, effective prices), image
upload, the permission matrix for every write endpoint, the OpenAPI schema, query counts."""

from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from core.visibility import Visibility
from marketplace.models import Category, Product, ProductImage, ProductStatus, Shop
from tests.community.factories import UserFactory
from tests.marketplace.catalogue_support import image_bytes, live_deal, png_header_only, upload
from tests.marketplace.factories import ProductFactory, ProductImageFactory, ShopFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded_categories")]

PRODUCTS = "/api/v1/products/"


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def titles(response) -> list[str]:
    return [p["title"] for p in response.json()["results"]]


# --- reading -----------------------------------------------------------------------------------


def test_product_list_has_effective_and_list_prices_deal_and_images(api_client, media_root):
    product = ProductFactory(title="Pearl necklace", price=Decimal("200.00"))
    ProductImageFactory(product=product)
    deal = live_deal(product, percent_off=25)
    ProductFactory(title="Draft", status=ProductStatus.DRAFT)

    response = api_client.get(PRODUCTS)

    assert response.status_code == 200
    [item] = response.json()["results"]
    assert item["title"] == "Pearl necklace"
    assert (item["price"], item["effective_price"], item["deal_id"]) == ("200.00", "150.00", deal.id)
    assert item["currency"] == "CNY"
    assert item["shop"]["slug"] == product.shop.slug and item["category"]["slug"] == product.category.slug
    assert item["images"][0]["image"].endswith(".png") and item["images"][0]["image_320"] is None


def test_product_list_filters_and_orders(api_client):
    shop = ShopFactory(slug="pearls")
    necklaces = Category.objects.get(slug="necklaces")
    ProductFactory(shop=shop, title="淡水珍珠项链", category=necklaces, price=Decimal("300.00"))
    ProductFactory(shop=shop, title="Pearl studs", category=Category.objects.get(slug="earrings"), price=Decimal("80"))
    ProductFactory(title="Tea", category=Category.objects.get(slug="tea"), price=Decimal("50.00"), stock=0)
    sale = ProductFactory(shop=shop, title="Pearl ring", category=necklaces, price=Decimal("500.00"))
    live_deal(sale, percent_off=90)  # 50.00 now

    def get(**params):
        return titles(api_client.get(PRODUCTS, params))

    assert get(search="珍珠") == ["淡水珍珠项链"]
    assert get(category="jewellery", ordering="price") == ["Pearl ring", "Pearl studs", "淡水珍珠项链"]
    assert get(shop="pearls", max_price="100", ordering="-price") == ["Pearl studs", "Pearl ring"]
    assert get(min_price="60", max_price="300", ordering="price") == ["Pearl studs", "淡水珍珠项链"]
    assert "Tea" not in get(in_stock="true") and "Tea" in get(in_stock="false")


def test_unknown_category_filter_is_a_400(api_client):
    response = api_client.get(PRODUCTS, {"category": "nope"})

    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("category:")


def test_categories_and_shops_are_listed(api_client):
    ShopFactory(name="Tea garden", slug="tea-garden", follower_count=3)

    categories = api_client.get("/api/v1/categories/").json()
    shop = api_client.get("/api/v1/shops/tea-garden/").json()

    by_slug = {c["slug"]: c for c in categories}
    assert by_slug["necklaces"]["parent"] == "jewellery" and by_slug["necklaces"]["path"] == "jewellery/necklaces"
    assert {"apparel", "jewellery", "food-produce", "home", "beauty", "electronics"} <= set(by_slug)
    assert (shop["name"], shop["follower_count"]) == ("Tea garden", 3)


def test_owner_reads_own_draft_others_get_404(api_client):
    draft = ProductFactory(status=ProductStatus.DRAFT)

    assert api_client.get(f"{PRODUCTS}{draft.pk}/").status_code == 404
    assert client_for(draft.shop.owner).get(f"{PRODUCTS}{draft.pk}/").json()["status"] == "draft"


def test_cached_product_list_follows_writes(api_client, django_capture_on_commit_callbacks):
    product = ProductFactory(title="Old")
    assert titles(api_client.get(PRODUCTS)) == ["Old"]

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(product.shop.owner).patch(f"{PRODUCTS}{product.pk}/", {"title": "New"})

    assert response.status_code == 200
    assert titles(api_client.get(PRODUCTS)) == ["New"]


@pytest.mark.parametrize("rows", [5, 50])
def test_product_list_query_count(api_client, django_assert_num_queries, rows):
    shop = ShopFactory()
    for _ in range(rows):
        ProductImageFactory(product=ProductFactory(shop=shop))

    # count, page, images (prefetch), next sale boundary
    with django_assert_num_queries(4):
        response = api_client.get(PRODUCTS)
    assert len(response.json()["results"]) == min(rows, 20)

    with django_assert_num_queries(0):  # cached
        api_client.get(PRODUCTS)


def test_schema_documents_catalogue_endpoints_and_filters(api_client):
    schema = api_client.get("/api/schema/", {"format": "json"}).json()

    paths = schema["paths"]
    for path in ("/api/v1/shops/", "/api/v1/shops/{slug}/", "/api/v1/categories/", "/api/v1/products/{id}/images/"):
        assert path in paths
    params = {p["name"] for p in paths["/api/v1/products/"]["get"]["parameters"]}
    assert {"search", "category", "shop", "min_price", "max_price", "in_stock", "ordering", "page"} <= params
    assert "multipart/form-data" in paths["/api/v1/products/{id}/images/"]["post"]["requestBody"]["content"]
    assert "effective_price" in schema["components"]["schemas"]["Product"]["properties"]


# --- writing -----------------------------------------------------------------------------------


def test_a_user_opens_one_shop_and_adds_products(media_root):
    user = UserFactory()
    client = client_for(user)

    shop = client.post("/api/v1/shops/", {"name": "Tea garden", "slug": "tea-garden"})
    again = client.post("/api/v1/shops/", {"name": "Second", "slug": "second"})
    product = client.post(
        PRODUCTS, {"title": "Longjing", "category": "tea", "price": "168.00", "stock": 5, "status": "active"}
    )

    assert shop.status_code == 201 and shop.json()["slug"] == "tea-garden"
    assert again.status_code == 409 and again.json()["error"]["code"] == "shop_exists"
    assert product.status_code == 201
    assert product.json()["effective_price"] == "168.00" and product.json()["shop"]["slug"] == "tea-garden"


def test_product_create_without_a_shop_is_refused():
    response = client_for(UserFactory()).post(PRODUCTS, {"title": "X", "category": "tea", "price": "1.00"})

    assert response.status_code == 403
    assert response.json()["error"] == {"code": "no_shop", "message": "Open a shop before adding products."}


def test_invalid_product_data_is_a_400_with_fields():
    shop = ShopFactory()

    response = client_for(shop.owner).post(PRODUCTS, {"title": "X", "category": "tea", "price": "0"})

    assert response.status_code == 400
    assert "price" in response.json()["error"]["fields"]


def test_delete_removes_for_the_owner_and_staff_cannot():
    owned, other = ProductFactory(), ProductFactory()

    client_for(owned.shop.owner).delete(f"{PRODUCTS}{owned.pk}/")
    refused = client_for(UserFactory(is_staff=True)).delete(f"{PRODUCTS}{other.pk}/")

    owned.refresh_from_db(), other.refresh_from_db()
    assert (owned.visibility, other.visibility) == (Visibility.REMOVED, Visibility.VISIBLE)
    assert refused.status_code == 403


def test_owner_cannot_unhide_a_moderated_product():
    product = ProductFactory(visibility=Visibility.HIDDEN)

    response = client_for(product.shop.owner).patch(f"{PRODUCTS}{product.pk}/", {"status": "draft"})
    again = client_for(product.shop.owner).delete(f"{PRODUCTS}{product.pk}/")

    assert response.status_code == 403 and response.json()["error"]["code"] == "hidden"
    assert again.status_code == 403 and again.json()["error"]["code"] == "hidden"
    product.refresh_from_db()
    assert product.visibility == Visibility.HIDDEN


# --- image upload ------------------------------------------------------------------------------


def images_url(product) -> str:
    return reverse("api-product-images", kwargs={"pk": product.pk})


@pytest.mark.parametrize(
    "data, message",
    [
        (b"%PDF-1.4 not an image", "not a JPEG, PNG or WebP image"),
        (image_bytes("GIF"), "Only JPEG, PNG and WebP images are accepted."),
        (png_header_only(30_000, 30_000), "pixels are accepted"),
    ],
    ids=["non-image", "gif", "bomb"],
)
def test_image_upload_refusals_are_400_with_a_clear_message(media_root, data, message):
    product = ProductFactory()

    response = client_for(product.shop.owner).post(
        images_url(product), {"image": upload(data, name="x.jpg")}, format="multipart"
    )

    assert response.status_code == 400
    assert message in response.json()["error"]["message"]
    assert not ProductImage.objects.exists()


def test_oversized_upload_is_refused(media_root, settings):
    settings.IMAGE_MAX_UPLOAD_BYTES = 1024 * 1024
    product = ProductFactory()

    response = client_for(product.shop.owner).post(
        images_url(product), {"image": upload(image_bytes() + b"\0" * 1024 * 1024)}, format="multipart"
    )

    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "image_too_large",
        "message": "The file is too large: images may be at most 1 MB.",
    }


def test_upload_gets_display_sizes_from_the_task(media_root, celery_eager, django_capture_on_commit_callbacks):
    product = ProductFactory()

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(product.shop.owner).post(
            images_url(product),
            {"image": upload(image_bytes("WEBP", size=(2000, 1000)), name="a.gif")},
            format="multipart",
        )

    assert response.status_code == 201
    assert response.json()["image_320"] is None  # the response precedes the task
    listed = client_for().get(images_url(product)).json()
    assert listed[0]["image"].endswith(".webp")
    assert listed[0]["image_320"].endswith("-320.webp") and listed[0]["image_960"].endswith("-960.webp")


# --- the permission matrix ---------------------------------------------------------------------

ANON, OTHER, OWNER, STAFF = "anonymous", "other user", "owner", "staff"


@pytest.fixture
def actors():
    shop = ShopFactory(slug="pearls")
    product = ProductFactory(shop=shop)
    return {
        "shop": shop,
        "product": product,
        "image": ProductImageFactory(product=product),
        ANON: None,
        OTHER: UserFactory(),
        OWNER: shop.owner,
        STAFF: UserFactory(is_staff=True),
    }


def _call(actors, who, endpoint):
    client = client_for(actors[who])
    product, shop, image = actors["product"], actors["shop"], actors["image"]
    if endpoint == "shop create":
        return client.post("/api/v1/shops/", {"name": "New", "slug": f"new-{who.replace(' ', '-')}"})
    if endpoint == "shop update":
        return client.patch(f"/api/v1/shops/{shop.slug}/", {"description": "Changed"})
    if endpoint == "product create":
        return client.post(PRODUCTS, {"title": "New", "category": "tea", "price": "9.00"})
    if endpoint == "product update":
        return client.patch(f"{PRODUCTS}{product.pk}/", {"stock": 3})
    if endpoint == "product delete":
        return client.delete(f"{PRODUCTS}{product.pk}/")
    if endpoint == "image upload":
        return client.post(images_url(product), {"image": upload(image_bytes())}, format="multipart")
    if endpoint == "image delete":
        return client.delete(f"{PRODUCTS}{product.pk}/images/{image.pk}/")
    raise AssertionError(endpoint)


# Expected status per (endpoint, actor). Staff are like anyone else (is_staff grants nothing:
# moderators hide content through the moderation tools); the owner already has a shop, so
# opening another is a conflict.
MATRIX = {
    "shop create": {ANON: 401, OTHER: 201, OWNER: 409, STAFF: 201},
    "shop update": {ANON: 401, OTHER: 403, OWNER: 200, STAFF: 403},
    "product create": {ANON: 401, OTHER: 403, OWNER: 201, STAFF: 403},
    "product update": {ANON: 401, OTHER: 403, OWNER: 200, STAFF: 403},
    "product delete": {ANON: 401, OTHER: 403, OWNER: 204, STAFF: 403},
    "image upload": {ANON: 401, OTHER: 403, OWNER: 201, STAFF: 403},
    "image delete": {ANON: 401, OTHER: 403, OWNER: 204, STAFF: 403},
}


@pytest.mark.parametrize(
    "endpoint, who, expected",
    [(endpoint, who, code) for endpoint, row in MATRIX.items() for who, code in row.items()],
)
def test_permission_matrix(actors, media_root, endpoint, who, expected):
    response = _call(actors, who, endpoint)

    assert response.status_code == expected, response.content
    if expected in (401, 403):
        assert "error" in response.json()
    if endpoint == "shop update" and expected == 200:
        assert Shop.objects.get(slug="pearls").description == "Changed"
    if endpoint == "product update" and expected == 200:
        assert Product.objects.get(pk=actors["product"].pk).stock == 3


# --- rate limits -------------------------------------------------------------------------------


def test_api_rate_limit_answers_429_with_retry_after(api_client, monkeypatch):
    from core.throttles import AnonWindowThrottle

    monkeypatch.setattr(AnonWindowThrottle, "THROTTLE_RATES", {"anon": "3/minute", "user": "3/minute"})

    codes = [api_client.get("/api/v1/categories/").status_code for _ in range(4)]

    assert codes == [200, 200, 200, 429]
    limited = api_client.get("/api/v1/categories/")
    assert limited.json()["error"]["code"] == "throttled"
    assert 0 < int(limited["Retry-After"]) <= 60


def test_signed_in_users_are_limited_at_the_user_rate(monkeypatch):
    from core.throttles import UserWindowThrottle

    monkeypatch.setattr(UserWindowThrottle, "THROTTLE_RATES", {"anon": "1/minute", "user": "2/minute"})
    client = client_for(UserFactory())

    assert [client.get("/api/v1/categories/").status_code for _ in range(3)] == [200, 200, 429]
