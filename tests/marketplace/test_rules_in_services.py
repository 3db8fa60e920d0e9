"""Rules in services, edges thin: the page and the API give the same answer because they call the
same service or selector — an image for a removed product, "sold out", the most units of a line.
(Sign-up: tests/community/test_signup.py.)"""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from core.errors import ApplicationError
from core.visibility import Visibility
from marketplace.models import CartItem, DealPurchase, Order, ProductImage
from marketplace.selectors.orders import MAX_LINE_QUANTITY
from marketplace.services import images as image_services
from marketplace.services.checkout import order_place
from tests.marketplace.catalogue_support import image_bytes, upload
from tests.marketplace.factories import fill_cart, make_live_deal, make_product

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded_categories")]


# --- an image for a removed product ----------------------------------------------------------


@pytest.fixture
def removed(user):
    from tests.marketplace.factories import ShopFactory

    return make_product(shop=ShopFactory(owner=user), title="Old vase", visibility=Visibility.REMOVED)


def test_the_image_service_refuses_a_removed_product(media_root, removed):
    with pytest.raises(ApplicationError) as info:
        image_services.product_image_add(product=removed, upload=upload(image_bytes()))

    assert (info.value.status, info.value.code, info.value.message) == (409, "removed", "This product was removed.")
    assert not ProductImage.objects.exists()


def test_the_page_refuses_an_image_for_a_removed_product_as_the_api_does(client, api_client, user, media_root, removed):
    # given a seller whose product was removed
    client.force_login(user)
    api_client.force_authenticate(user)

    # when they upload an image on the page and through the API
    page = client.post(
        reverse("marketplace:product_image_upload", kwargs={"pk": removed.pk}), {"image": upload(image_bytes())}
    )
    api = api_client.post(
        reverse("api-product-images", kwargs={"pk": removed.pk}), {"image": upload(image_bytes())}, format="multipart"
    )

    # then both refuse with the same message, and no image was stored
    assert page.status_code == 400 and "This product was removed." in page.content.decode()
    assert api.status_code == 409
    assert api.json()["error"] == {"code": "removed", "message": "This product was removed."}
    assert not ProductImage.objects.exists()


# --- sold out, computed once -----------------------------------------------------------------


@pytest.fixture
def flash_gone():
    """Plenty of stock, but the live flash deal's 3 units are sold: sold out for the sale."""
    product = make_product(title="Pearls", price=Decimal("200.00"), stock=100)
    make_live_deal(product, flash_quantity=3, flash_sold=3)
    return product


def test_a_sold_out_flash_deal_reads_sold_out_on_every_edge(client, api_client, user, flash_gone):
    # when a shopper looks at the product page, the list page and the API
    page = client.get(flash_gone.get_absolute_url()).content.decode()
    listing = client.get("/products/").content.decode()
    detail = api_client.get(f"/api/v1/products/{flash_gone.pk}/").json()
    in_stock = api_client.get("/api/v1/products/", {"in_stock": "true"}).json()
    deal = api_client.get(f"/api/v1/sales/{flash_gone.deals.get().sale.slug}/deals/").json()["results"][0]

    # then each says sold out, though 100 are in stock, and offers no "add to cart"
    assert "Sold out" in page and "In stock" not in page and "cart-add-form" not in page
    card = re.search(r'<article class="product-card".*?</article>', listing, flags=re.S).group(0)
    assert "Pearls" in card and "Sold out" in card
    assert (detail["stock"], detail["units_left"], detail["sold_out"]) == (100, 0, True)
    assert in_stock["count"] == 0
    assert deal["sold_out"] is True

    # and the cart and checkout refuse it with the same words
    api_client.force_authenticate(user)
    cart = api_client.post("/api/v1/cart/items/", {"product": flash_gone.pk, "quantity": 1}, format="json")
    assert (cart.status_code, cart.json()["error"]["code"]) == (409, "sold_out")
    assert cart.json()["error"]["message"] == "“Pearls” is sold out in this sale."
    with pytest.raises(ApplicationError) as info:
        order_place(buyer=user, items=[(flash_gone.pk, 1)])
    assert (info.value.code, info.value.message) == ("sold_out", "“Pearls” is sold out in this sale.")


def test_what_is_left_is_the_flash_units_when_fewer_than_the_stock(client, api_client):
    product = make_product(title="Tea bowl", stock=50)
    make_live_deal(product, flash_quantity=10, flash_sold=7)

    page = client.get(product.get_absolute_url()).content.decode()
    detail = api_client.get(f"/api/v1/products/{product.pk}/").json()

    assert "3 left" in page and "In stock" in page
    assert (detail["units_left"], detail["sold_out"]) == (3, False)


def test_checkout_refuses_what_the_rows_show_gone_before_writing_anything(user):
    # given a deal product whose stock is gone (the buyer's limit is not reached)
    product = make_product(title="Jade ring", stock=0)
    make_live_deal(product, per_buyer_limit=1)

    with pytest.raises(ApplicationError) as info:
        order_place(buyer=user, items=[(product.pk, 1)])

    # then: sold out (the stock ran out, not the sale's units), and no purchase row was written
    assert (info.value.code, info.value.message) == ("sold_out", "“Jade ring” is sold out.")
    assert not DealPurchase.objects.exists()


# --- one quantity limit ----------------------------------------------------------------------


def test_the_limit_is_ninety_nine_everywhere(client, api_client, user):
    # given a product with plenty of stock
    product = make_product(title="Tea", stock=500)
    api_client.force_authenticate(user)
    client.force_login(user)
    limit_message = f"At most {MAX_LINE_QUANTITY} of one product per order."

    # when 99 go in, then 100 are asked for through the API (at once, and on top), and the page
    ok = api_client.post("/api/v1/cart/items/", {"product": product.pk, "quantity": 99}, format="json")
    over = api_client.patch(f"/api/v1/cart/items/{product.pk}/", {"quantity": 100}, format="json")
    on_top = api_client.post("/api/v1/cart/items/", {"product": product.pk, "quantity": 1}, format="json")
    page = client.post(reverse("marketplace:cart_update", args=[product.pk]), {"quantity": 100}, follow=True)

    # then 99 is fine, and every "more" is a 400 naming the limit; the line keeps 99
    assert MAX_LINE_QUANTITY == 99
    assert ok.status_code == 201
    for refused in (over, on_top):
        assert refused.status_code == 400
        assert refused.json()["error"] == {"code": "invalid_quantity", "message": limit_message, "limit": 99}
    assert limit_message in page.content.decode()
    assert CartItem.objects.get().quantity == 99


def test_an_anonymous_cart_and_checkout_keep_the_same_limit(client, user):
    product = make_product(title="Tea", stock=500)

    response = client.post(reverse("marketplace:cart_add"), {"product": product.pk, "quantity": 100}, follow=True)

    assert "At most 99 of one product per order." in response.content.decode()
    assert not client.session.get("cart")
    with pytest.raises(ApplicationError) as info:
        order_place(buyer=user, items=[(product.pk, 60), (product.pk, 40)])
    assert (info.value.status, info.value.code, info.value.extra) == (400, "invalid_quantity", {"limit": 99})
    assert not Order.objects.exists()


def test_quantity_inputs_advertise_the_same_limit(client, user):
    product = make_product(stock=500)
    fill_cart(user, (product, 2))
    client.force_login(user)

    product_page = client.get(product.get_absolute_url()).content.decode()
    cart_page = client.get("/cart/").content.decode()

    assert re.findall(r'name="quantity"[^>]*max="(\d+)"', product_page) == ["99"]
    assert re.findall(r'name="quantity"[^>]*max="(\d+)"', cart_page) == ["99"]
    assert 'max="999"' not in product_page + cart_page


# --- a quantity that is not a number, or below one ---------------------------------------------

NOT_A_NUMBER = "Quantity must be a whole number, such as 1 or 2."


@pytest.mark.parametrize("typed", ["abc", "1.5", "", "2x"])
def test_a_quantity_that_is_not_a_number_says_so_on_the_page_and_in_the_api(client, api_client, user, typed):
    # given a product already in the signed-in buyer's cart
    product = make_product(title="Tea", stock=500)
    fill_cart(user, (product, 2))
    client.force_login(user)
    api_client.force_authenticate(user)

    # when the page's add and update forms and the API get something that is not a whole number
    added = client.post(reverse("marketplace:cart_add"), {"product": product.pk, "quantity": typed}, follow=True)
    updated = client.post(reverse("marketplace:cart_update", args=[product.pk]), {"quantity": typed}, follow=True)
    api_add = api_client.post("/api/v1/cart/items/", {"product": product.pk, "quantity": typed}, format="json")
    api_set = api_client.patch(f"/api/v1/cart/items/{product.pk}/", {"quantity": typed}, format="json")

    # then each says that a whole number is wanted, and the line keeps its 2
    for page in (added, updated):
        assert NOT_A_NUMBER in page.content.decode()
    for api in (api_add, api_set):
        assert api.status_code == 400
        assert api.json()["error"]["fields"] == {"quantity": [NOT_A_NUMBER]}
    assert CartItem.objects.get().quantity == 2


def test_a_quantity_below_one_gets_the_services_message_everywhere(client, api_client, user):
    # given a product in the buyer's cart
    product = make_product(title="Tea", stock=500)
    fill_cart(user, (product, 2))
    client.force_login(user)
    api_client.force_authenticate(user)

    # when zero is added, or a negative number set, through the page and the API
    page = client.post(reverse("marketplace:cart_add"), {"product": product.pk, "quantity": 0}, follow=True)
    page_set = client.post(reverse("marketplace:cart_update", args=[product.pk]), {"quantity": -3}, follow=True)
    api = api_client.post("/api/v1/cart/items/", {"product": product.pk, "quantity": 0}, format="json")
    api_set = api_client.patch(f"/api/v1/cart/items/{product.pk}/", {"quantity": -3}, format="json")

    # then one message, the cart service's, with one code in the API
    for response in (page, page_set):
        assert "Quantity must be at least 1." in response.content.decode()
    for response in (api, api_set):
        assert response.status_code == 400
        assert response.json()["error"] == {"code": "invalid_quantity", "message": "Quantity must be at least 1."}
    assert CartItem.objects.get().quantity == 2


def test_the_chinese_pages_say_it_in_chinese(client, user):
    product = make_product(title="Tea", stock=500)
    fill_cart(user, (product, 2))
    client.force_login(user)

    url = reverse("marketplace:cart_update", args=[product.pk])
    over = client.post(url, {"quantity": 100}, follow=True, HTTP_ACCEPT_LANGUAGE="zh-CN")
    typo = client.post(url, {"quantity": "x"}, follow=True, HTTP_ACCEPT_LANGUAGE="zh-CN")

    assert "99" in over.content.decode() and "At most" not in over.content.decode()
    assert NOT_A_NUMBER not in typo.content.decode() and "整数" in typo.content.decode()
