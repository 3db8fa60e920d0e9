"""The cart: signed-in and session carts, quantity rules (stock, flash units, per-buyer limit)
with clear messages, the merge at login, effective prices, the API and the page."""

from decimal import Decimal

import pytest

from core.errors import ApplicationError
from core.visibility import Visibility
from marketplace.models import CartItem, DealPurchase
from marketplace.selectors.orders import cart_get
from marketplace.services import cart as cart_services
from tests.community.factories import PASSWORD, UserFactory
from tests.marketplace.factories import CartItemFactory, ShopFactory, make_live_deal, make_product

pytestmark = pytest.mark.django_db


def refused(fn, **kwargs) -> ApplicationError:
    with pytest.raises(ApplicationError) as info:
        fn(**kwargs)
    return info.value


# --- services -------------------------------------------------------------------------------


def test_adding_twice_adds_up_in_one_line(user):
    product = make_product()

    cart_services.cart_item_add(user=user, product_id=product.pk, quantity=2)
    cart_services.cart_item_add(user=user, product_id=product.pk, quantity=3)

    assert list(CartItem.objects.filter(cart__user=user).values_list("product_id", "quantity")) == [(product.pk, 5)]


def test_more_than_the_stock_is_refused_with_how_many_are_left(user):
    product = make_product(title="Tea bowl", stock=3)

    error = refused(cart_services.cart_item_add, user=user, product_id=product.pk, quantity=4)

    assert (error.status, error.code) == (409, "quantity_unavailable")
    assert error.message == "Only 3 of “Tea bowl” left."
    assert not CartItem.objects.exists()


def test_a_sold_out_product_cannot_be_added(user):
    product = make_product(title="Tea bowl", stock=0)

    error = refused(cart_services.cart_item_add, user=user, product_id=product.pk)

    assert (error.code, error.message) == ("sold_out", "“Tea bowl” is sold out.")


def test_the_per_buyer_limit_counts_what_the_buyer_already_bought(user):
    product = make_product(title="Pearls")
    deal = make_live_deal(product, per_buyer_limit=2)
    DealPurchase.objects.create(deal=deal, buyer=user, quantity=1)

    cart_services.cart_item_add(user=user, product_id=product.pk, quantity=1)
    error = refused(cart_services.cart_item_add, user=user, product_id=product.pk, quantity=1)

    assert error.message == "You can buy at most 2 of “Pearls” in this sale (you already have 1)."


def test_an_exhausted_flash_deal_makes_the_product_sold_out_during_the_sale(user):
    product = make_product(title="Pearls", stock=50)
    make_live_deal(product, flash_quantity=5, flash_sold=5)

    error = refused(cart_services.cart_item_add, user=user, product_id=product.pk)

    assert (error.code, error.message) == ("sold_out", "“Pearls” is sold out in this sale.")


def test_flash_units_left_cap_the_quantity(user):
    product = make_product(title="Pearls", stock=50)
    make_live_deal(product, flash_quantity=5, flash_sold=3)

    cart_services.cart_item_add(user=user, product_id=product.pk, quantity=2)
    error = refused(cart_services.cart_item_set_quantity, user=user, product_id=product.pk, quantity=3)

    assert error.message == "Only 2 of “Pearls” left at the sale price."


def test_own_shop_and_unavailable_products_are_refused(user):
    mine = make_product(shop=ShopFactory(owner=user))
    hidden = make_product(title="Gone", visibility=Visibility.HIDDEN)

    assert refused(cart_services.cart_item_add, user=user, product_id=mine.pk).status == 403
    assert (
        refused(cart_services.cart_item_add, user=user, product_id=hidden.pk).message
        == "“Gone” is no longer available."
    )
    assert refused(cart_services.cart_item_add, user=user, product_id=10**9).status == 404


def test_quantity_zero_removes_the_line_and_removing_twice_is_refused(user):
    product = make_product()
    cart_services.cart_item_add(user=user, product_id=product.pk, quantity=2)

    assert cart_services.cart_item_set_quantity(user=user, product_id=product.pk, quantity=0) is None
    assert not CartItem.objects.exists()
    assert refused(cart_services.cart_item_remove, user=user, product_id=product.pk).status == 404


def test_session_cart_obeys_the_same_rules():
    product = make_product(title="Tea bowl", stock=3)
    session = {}

    cart_services.session_cart_item_add(session=session, product_id=product.pk, quantity=2)
    error = refused(cart_services.session_cart_item_add, session=session, product_id=product.pk, quantity=2)
    cart_services.session_cart_item_set_quantity(session=session, product_id=product.pk, quantity=3)

    assert error.message == "Only 3 of “Tea bowl” left."
    assert cart_services.session_cart_items(session) == {product.pk: 3}


def test_merge_adds_session_quantities_and_trims_to_what_may_be_bought(user):
    # given a session cart and a user cart that overlap
    a, b = make_product(stock=10), make_product(title="Rare", stock=4)
    gone = make_product(visibility=Visibility.REMOVED)
    CartItemFactory(cart__user=user, product=a, quantity=2)
    CartItemFactory(cart__user=user, product=b, quantity=3)
    session = {"cart": {str(a.pk): 1, str(b.pk): 2, str(gone.pk): 1}}

    # when they merge
    notes = cart_services.cart_merge_session(user=user, session=session)

    # then quantities add up, capped at the stock, with a note; the session cart is emptied
    items = dict(CartItem.objects.filter(cart__user=user).values_list("product_id", "quantity"))
    assert items == {a.pk: 3, b.pk: 4}
    assert "Only 4 of “Rare” left." in notes
    assert "cart" not in session


def test_cart_shows_effective_prices_and_flags_lines_that_no_longer_fit(user):
    on_sale = make_product(price=Decimal("200.00"))
    make_live_deal(on_sale, percent_off=25)
    plain = make_product(price=Decimal("30.00"), stock=1)
    CartItemFactory(cart__user=user, product=on_sale, quantity=2)
    CartItemFactory(cart__user=user, product=plain, quantity=2)  # stock fell to 1 since

    cart = cart_get(user=user)

    lines = {line.product.pk: line for line in cart.lines}
    assert lines[on_sale.pk].unit_price == Decimal("150.00")
    assert lines[on_sale.pk].on_sale
    assert lines[plain.pk].problem.startswith("Only 1 of")
    assert cart.total == Decimal("360.00")
    assert cart.count == 4


# --- API ------------------------------------------------------------------------------------


def test_cart_api_add_change_remove(api_client, user):
    product = make_product(price=Decimal("200.00"))
    make_live_deal(product, percent_off=25)
    api_client.force_authenticate(user)

    r = api_client.post("/api/v1/cart/items/", {"product": product.pk, "quantity": 2}, format="json")
    assert r.status_code == 201, r.content
    line = r.json()["shops"][0]["lines"][0]
    assert (line["quantity"], line["unit_price"], line["list_price"]) == (2, "150.00", "200.00")

    r = api_client.patch(f"/api/v1/cart/items/{product.pk}/", {"quantity": 3}, format="json")
    assert r.json()["total"] == "450.00"

    r = api_client.delete(f"/api/v1/cart/items/{product.pk}/")
    assert (r.status_code, r.json()["count"]) == (200, 0)


def test_cart_api_explains_a_refusal(api_client, user):
    product = make_product(title="Tea bowl", stock=1)
    api_client.force_authenticate(user)

    r = api_client.post("/api/v1/cart/items/", {"product": product.pk, "quantity": 2}, format="json")

    assert r.status_code == 409
    assert r.json()["error"] == {
        "code": "quantity_unavailable",
        "message": "Only 1 of “Tea bowl” left.",
        "product": product.pk,
    }


@pytest.mark.parametrize(
    "method,url",
    [("get", "/api/v1/cart/"), ("post", "/api/v1/cart/items/"), ("patch", "/api/v1/cart/items/1/"),
     ("delete", "/api/v1/cart/items/1/")],
)  # fmt: skip
def test_cart_api_needs_a_signed_in_user(api_client, method, url):
    r = getattr(api_client, method)(url, {}, format="json")
    assert r.status_code == 401


@pytest.mark.parametrize("who,expected", [("owner", 200), ("other", 404), ("staff", 404)])
@pytest.mark.parametrize("method", ["patch", "delete"])
def test_cart_item_writes_reach_only_the_callers_own_cart(api_client, user, method, who, expected):
    # given the owner's cart holds a product
    product = make_product()
    CartItemFactory(cart__user=user, product=product, quantity=1)
    actor = {"owner": user, "other": UserFactory(), "staff": UserFactory(is_staff=True)}[who]
    api_client.force_authenticate(actor)

    # when someone changes "that" line
    r = getattr(api_client, method)(f"/api/v1/cart/items/{product.pk}/", {"quantity": 2}, format="json")

    # then only the owner's request touches the owner's cart; others find nothing in theirs
    assert r.status_code == expected, r.content
    owner_line = CartItem.objects.filter(cart__user=user).values_list("quantity", flat=True).first()
    assert owner_line == ({"patch": 2, "delete": None}[method] if who == "owner" else 1)


@pytest.mark.parametrize("rows", [5, 50])
def test_cart_api_query_count_does_not_grow_with_lines(api_client, django_assert_num_queries, rows):
    buyer = UserFactory()
    shop = ShopFactory()
    for i in range(rows):
        product = make_product(shop=shop if i % 2 else ShopFactory())
        if i % 5 == 0:
            make_live_deal(product, per_buyer_limit=5)
        CartItemFactory(cart__user=buyer, product=product, quantity=1)
    api_client.force_authenticate(buyer)

    # the cart's products with quantities, prices and first images (one query compiled once per
    # process), live deals, the buyer's deal purchases
    with django_assert_num_queries(3):
        r = api_client.get("/api/v1/cart/")
    assert r.json()["count"] == rows


# --- pages ----------------------------------------------------------------------------------


def test_anonymous_cart_lives_in_the_session_and_merges_at_login(client):
    # given an anonymous visitor who adds a product
    product = make_product(title="Tea bowl", price=Decimal("88.00"))
    r = client.post("/cart/add/", {"product": product.pk, "quantity": 2})
    assert r.status_code == 302
    page = client.get("/cart/").content.decode()
    assert "Tea bowl" in page and "¥176.00" in page and "Log in to check out" in page

    # when they log in
    buyer = UserFactory()
    r = client.post("/accounts/login/", {"username": buyer.username, "password": PASSWORD})
    assert r.status_code == 302

    # then the product is in their own cart
    assert CartItem.objects.get(cart__user=buyer).quantity == 2
    assert "¥176.00" in client.get("/cart/").content.decode()


def test_cart_page_shows_refusals_as_messages(client, user):
    product = make_product(title="Tea bowl", stock=1)
    client.force_login(user)

    r = client.post("/cart/add/", {"product": product.pk, "quantity": 5}, follow=True)

    assert "Only 1 of “Tea bowl” left." in r.content.decode()
    assert not CartItem.objects.exists()


def test_cart_page_updates_and_removes_lines(client, user):
    product = make_product(title="Tea bowl", price=Decimal("10.00"))
    CartItemFactory(cart__user=user, product=product, quantity=1)
    client.force_login(user)

    r = client.post(f"/cart/items/{product.pk}/", {"quantity": 4}, follow=True)
    assert "¥40.00" in r.content.decode()
    r = client.post(f"/cart/items/{product.pk}/remove/", follow=True)
    assert "Your cart is empty." in r.content.decode()


@pytest.mark.parametrize("rows", [5, 50])
def test_cart_page_query_count_does_not_grow_with_lines(client, django_assert_num_queries, rows):
    buyer = UserFactory()
    for i in range(rows):
        product = make_product()
        if i % 5 == 0:
            make_live_deal(product, flash_quantity=100)
        CartItemFactory(cart__user=buyer, product=product, quantity=1)
    client.force_login(buyer)

    # the user with the header's unread-notification count (the session is cached); the buyer's
    # page is built: the cart's product and shop ids (their cache tags), the 3 cart queries, the
    # buyer's claimed vouchers for the cart's shops (the "spend ¥X more" prompt), the claims'
    # next validity change and the next sale boundary (the page's expiry)
    with django_assert_num_queries(8):
        r = client.get("/cart/")
    assert r.status_code == 200

    # and then it comes from the cache (docs/architecture.md, "Page shells")
    with django_assert_num_queries(0):
        again = client.get("/cart/").content.decode()
    assert again.count('name="quantity"') == rows
