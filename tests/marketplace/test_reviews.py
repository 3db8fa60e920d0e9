"""Reviews: only the buyer of a delivered/completed line, once; 1–5 stars, text, validated images;
product and shop ratings always match the visible reviews (hidden ones excluded)."""

from decimal import Decimal
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from core.errors import ApplicationError
from core.visibility import Visibility
from marketplace.models import Order, OrderStatus, Product, Review, Shop
from marketplace.services.reviews import review_create, review_set_visibility
from marketplace.signals import review_posted
from tests.community.factories import UserFactory, make_moderator
from tests.marketplace.factories import OrderLineFactory, ProductFactory, ReviewFactory, ShopFactory

pytestmark = pytest.mark.django_db
S = OrderStatus


def png(name="photo.png", size=(40, 30)) -> SimpleUploadedFile:
    out = BytesIO()
    Image.new("RGB", size, "red").save(out, format="PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def delivered_line(**kwargs):
    return OrderLineFactory(order__status=S.DELIVERED, **kwargs)


def ratings(obj):
    obj.refresh_from_db()
    return obj.rating_avg, obj.rating_count


def test_the_buyer_reviews_a_delivered_line_and_the_ratings_follow(django_capture_on_commit_callbacks):
    line = delivered_line()
    sent = []
    review_posted.connect(lambda **kw: sent.append(kw["review_id"]), weak=False, dispatch_uid="t-review")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            review = review_create(author=line.order.buyer, order_line_id=line.pk, rating=4, text=" Lovely ")
    finally:
        review_posted.disconnect(dispatch_uid="t-review")

    assert (review.rating, review.text, review.product_id, review.shop_id) == (
        4,
        "Lovely",
        line.product_id,
        line.order.shop_id,
    )
    assert sent == [review.pk]
    assert ratings(line.product) == (Decimal("4.00"), 1)
    assert ratings(line.order.shop) == (Decimal("4.00"), 1)
    # reviewing completes the delivered order
    assert Order.objects.get(pk=line.order_id).status == S.COMPLETED


def test_aggregates_cover_every_visible_review_of_the_product_and_shop():
    shop = ShopFactory()
    a, b = ProductFactory(shop=shop), ProductFactory(shop=shop)
    for product, rating in ((a, 5), (a, 4), (a, 2), (b, 1)):
        line = delivered_line(order__shop=shop, product=product)
        review_create(author=line.order.buyer, order_line_id=line.pk, rating=rating)

    assert ratings(a) == (Decimal("3.67"), 3)
    assert ratings(b) == (Decimal("1.00"), 1)
    assert ratings(shop) == (Decimal("3.00"), 4)


def test_hidden_reviews_leave_the_ratings_and_come_back_when_restored():
    line = delivered_line()
    good = review_create(author=line.order.buyer, order_line_id=line.pk, rating=5)
    other = delivered_line(product=line.product, order__shop=line.order.shop)
    spam = review_create(author=other.order.buyer, order_line_id=other.pk, rating=1)
    assert ratings(line.product) == (Decimal("3.00"), 2)

    assert review_set_visibility(obj=spam, status=Visibility.HIDDEN, by=None)
    assert not review_set_visibility(obj=spam, status=Visibility.HIDDEN, by=None)
    assert ratings(line.product) == (Decimal("5.00"), 1)
    assert ratings(line.order.shop) == (Decimal("5.00"), 1)

    review_set_visibility(obj=spam, status=Visibility.VISIBLE, by=None)
    assert ratings(line.product) == (Decimal("3.00"), 2)
    assert good.visibility == Visibility.VISIBLE


@pytest.mark.parametrize("status", [S.PENDING_PAYMENT, S.PAID, S.SHIPPED, S.CANCELLED, S.EXPIRED])
def test_only_delivered_or_completed_lines_can_be_reviewed(status):
    line = OrderLineFactory(order__status=status)

    with pytest.raises(ApplicationError) as info:
        review_create(author=line.order.buyer, order_line_id=line.pk, rating=5)

    assert info.value.code == "not_delivered"
    assert not Review.objects.exists()


def test_only_the_buyer_reviews_and_only_once():
    line = OrderLineFactory(order__status=S.COMPLETED)

    with pytest.raises(ApplicationError) as info:
        review_create(author=UserFactory(), order_line_id=line.pk, rating=5)
    assert info.value.status == 403

    review_create(author=line.order.buyer, order_line_id=line.pk, rating=5)
    with pytest.raises(ApplicationError) as info:
        review_create(author=line.order.buyer, order_line_id=line.pk, rating=3)
    assert (info.value.status, info.value.code) == (409, "already_reviewed")
    assert Review.objects.count() == 1


@pytest.mark.parametrize("rating", [0, 6, -1])
def test_the_rating_is_one_to_five(rating):
    line = delivered_line()
    with pytest.raises(ApplicationError) as info:
        review_create(author=line.order.buyer, order_line_id=line.pk, rating=rating)
    assert info.value.code == "invalid_rating"


def test_images_are_validated_and_cleaned(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    line = delivered_line()

    with pytest.raises(ApplicationError) as info:
        review_create(
            author=line.order.buyer,
            order_line_id=line.pk,
            rating=5,
            images=[SimpleUploadedFile("x.png", b"not an image", content_type="image/png")],
        )
    assert info.value.code == "image_invalid"
    assert not Review.objects.exists()

    review = review_create(author=line.order.buyer, order_line_id=line.pk, rating=5, images=[png("../../evil.png")])
    stored = review.images.get().image.name
    assert stored.startswith("reviews/") and "evil" not in stored


# --- API ------------------------------------------------------------------------------------


@pytest.mark.parametrize("who,expected", [("anonymous", 401), ("other", 403), ("buyer", 201), ("staff", 403)])
def test_review_create_permission_matrix(api_client, who, expected):
    line = delivered_line()
    actors = {"other": UserFactory(), "buyer": line.order.buyer, "staff": UserFactory(is_staff=True)}
    if who != "anonymous":
        api_client.force_authenticate(actors[who])

    r = api_client.post("/api/v1/reviews/", {"order_line": line.pk, "rating": 5, "text": "Great"}, format="json")

    assert r.status_code == expected, r.content
    assert Review.objects.count() == (1 if expected == 201 else 0)


def test_review_api_accepts_multipart_images_and_lists_visible_reviews(api_client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    line = delivered_line()
    api_client.force_authenticate(line.order.buyer)

    r = api_client.post(
        "/api/v1/reviews/",
        {"order_line": line.pk, "rating": 4, "text": "Nice", "uploaded_images": [png()]},
        format="multipart",
    )
    assert r.status_code == 201, r.content
    assert len(r.json()["images"]) == 1
    ReviewFactory(
        order_line__product=line.product, order_line__order__shop=line.order.shop, visibility=Visibility.HIDDEN
    )

    listed = api_client.get(f"/api/v1/reviews/?product={line.product_id}").json()
    assert [row["id"] for row in listed["results"]] == [r.json()["id"]]
    assert api_client.get("/api/v1/reviews/").status_code == 400
    for odd in ("%C2%B2", "99999999999999999999999", "0"):  # "²" passed str.isdigit() and was a 500
        refused = api_client.get(f"/api/v1/reviews/?product={odd}")
        assert refused.status_code == 400
        assert refused.json()["error"]["message"] == "Say which product: ?product=<id>."


def test_review_api_refuses_a_bad_rating(api_client):
    line = delivered_line()
    api_client.force_authenticate(line.order.buyer)
    r = api_client.post("/api/v1/reviews/", {"order_line": line.pk, "rating": 9}, format="json")
    assert r.status_code == 400
    assert "rating" in r.json()["error"]["message"]


@pytest.mark.parametrize("rows", [5, 50])
def test_review_list_api_query_count(api_client, django_assert_num_queries, rows):
    product = ProductFactory()
    for _ in range(rows):
        ReviewFactory(order_line__product=product, order_line__order__shop=product.shop)

    # count, reviews (+ author), images
    with django_assert_num_queries(3):
        r = api_client.get(f"/api/v1/reviews/?product={product.pk}&page_size=100")
    assert r.json()["count"] == rows


# --- pages and admin --------------------------------------------------------------------------


def test_write_review_page(client):
    line = delivered_line(title="Tea bowl")
    client.force_login(line.order.buyer)

    page = client.get(f"/orders/lines/{line.pk}/review/").content.decode()
    assert "Review “Tea bowl”" in page and 'enctype="multipart/form-data"' in page

    r = client.post(f"/orders/lines/{line.pk}/review/", {"rating": "5", "text": "Beautiful"}, follow=True)
    assert "Thank you for your review!" in r.content.decode()
    assert Review.objects.get().text == "Beautiful"

    r = client.get(f"/orders/lines/{line.pk}/review/", follow=True)
    assert "You already reviewed this purchase." in r.content.decode()


def test_write_review_page_shows_image_errors_on_the_form(client):
    line = delivered_line()
    client.force_login(line.order.buyer)
    bad = SimpleUploadedFile("x.jpg", b"nope", content_type="image/jpeg")

    r = client.post(f"/orders/lines/{line.pk}/review/", {"rating": "4", "images": [bad]})

    assert r.status_code == 200
    assert "damaged" in r.content.decode()
    assert not Review.objects.exists()


def test_admin_hides_and_restores_reviews(client):
    review = ReviewFactory(rating=1)
    client.force_login(make_moderator())

    client.post("/admin/marketplace/review/", {"action": "hide", "_selected_action": [review.pk]})
    assert Review.objects.get().visibility == Visibility.HIDDEN
    assert Product.objects.get(pk=review.product_id).rating_count == 0
    assert Shop.objects.get(pk=review.shop_id).rating_count == 0

    client.post("/admin/marketplace/review/", {"action": "restore", "_selected_action": [review.pk]})
    assert Product.objects.get(pk=review.product_id).rating_count == 1
    assert client.get("/admin/marketplace/review/?visibility=visible").status_code == 200
