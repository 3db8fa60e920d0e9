"""The address book (service rules, page, API, query counts at two sizes) and checkout with a
delivery address: the order keeps a snapshot, the seller's order page shows it with a packing
list, the voucher picker preselects the best claim and the total after vouchers is shown before
the buyer commits, and payment is its own step with a countdown."""

from decimal import Decimal

import pytest

from core.errors import ApplicationError
from marketplace.models import Address, Order, OrderStatus
from marketplace.services import addresses as services
from marketplace.services.checkout import checkout_submit
from tests.community.factories import UserFactory
from tests.marketplace.factories import (
    CartItemFactory,
    ShopFactory,
    fill_cart,
    make_address,
    make_product,
    make_voucher_claim,
)

pytestmark = pytest.mark.django_db

VALID = {
    "recipient": "王小明",
    "mobile": "13800138000",
    "province": "上海市",
    "city": "上海市",
    "district": "黄浦区",
    "street": "南京东路 100 号",
    "postcode": "200001",
}


# --- the rules -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mobile", "ok"),
    [
        ("13800138000", True),
        ("138 0013 8000", True),
        ("+8613800138000", True),
        ("1380013800", False),  # 10 digits
        ("138001380001", False),  # 12 digits
        ("23800138000", False),  # does not start with 1
        ("1380013800a", False),
    ],
)
def test_a_mainland_mobile_number_is_11_digits_starting_with_1(user, mobile, ok):
    if ok:
        assert services.address_create(user=user, **{**VALID, "mobile": mobile}).mobile == "13800138000"
    else:
        with pytest.raises(ApplicationError) as refused:
            services.address_create(user=user, **{**VALID, "mobile": mobile})
        assert refused.value.code == "invalid"
        assert refused.value.extra["fields"]["mobile"] == [
            "Enter a mainland mobile number: 11 digits starting with 1, e.g. 13800138000."
        ]
        assert not Address.objects.exists()


def test_every_missing_field_and_a_bad_postcode_are_named_at_once(user):
    with pytest.raises(ApplicationError) as refused:
        services.address_create(user=user, **{**VALID, "recipient": " ", "street": "", "postcode": "2000"})
    fields = refused.value.extra["fields"]
    assert set(fields) == {"recipient", "street", "postcode"}
    assert fields["recipient"] == ["Enter the recipient."]
    assert fields["postcode"] == ["A postcode is 6 digits, e.g. 200000 (or leave it empty)."]


def test_the_first_address_is_the_default_and_there_is_only_ever_one(user):
    first = services.address_create(user=user, **VALID)
    second = services.address_create(user=user, **{**VALID, "street": "淮海中路 1 号"})
    assert first.is_default and not second.is_default

    services.address_set_default(user=user, address_id=second.pk)
    assert list(Address.objects.filter(user=user, is_default=True).values_list("pk", flat=True)) == [second.pk]

    third = services.address_create(user=user, is_default=True, **{**VALID, "street": "长乐路 3 号"})
    assert list(Address.objects.filter(user=user, is_default=True).values_list("pk", flat=True)) == [third.pk]


def test_deleting_the_default_makes_another_address_the_default(user):
    first = services.address_create(user=user, **VALID)
    second = services.address_create(user=user, **{**VALID, "street": "淮海中路 1 号"})
    services.address_delete(user=user, address_id=first.pk)
    second.refresh_from_db()
    assert second.is_default


def test_the_same_address_twice_is_kept_once(user):
    first = services.address_create(user=user, **VALID)
    assert services.address_create(user=user, **{**VALID, "mobile": "138-0013-8000"}).pk == first.pk
    assert Address.objects.count() == 1


def test_an_address_book_holds_at_most_20(user):
    for n in range(services.MAX_ADDRESSES):
        make_address(user, street=f"Road {n}", is_default=n == 0)
    with pytest.raises(ApplicationError) as refused:
        services.address_create(user=user, **VALID)
    assert refused.value.code == "too_many"


def test_nobody_edits_or_deletes_someone_elses_address(user):
    theirs = make_address(UserFactory())
    for act in (
        lambda: services.address_update(user=user, address_id=theirs.pk, **VALID),
        lambda: services.address_delete(user=user, address_id=theirs.pk),
        lambda: services.address_set_default(user=user, address_id=theirs.pk),
    ):
        with pytest.raises(ApplicationError) as refused:
            act()
        assert refused.value.status == 404
    theirs.refresh_from_db()
    assert theirs.street.startswith("南京东路")


# --- checkout with an address ---------------------------------------------------------------------


def test_each_order_keeps_a_snapshot_that_later_edits_never_change(user):
    # given a buyer with two shops' products in the cart and a default address
    product, other = make_product(price=Decimal("50.00")), make_product(price=Decimal("20.00"))
    fill_cart(user, (product, 1), (other, 1))
    address = Address.objects.get(user=user)

    # when they check out, then edit and delete the address
    result = checkout_submit(buyer=user)
    services.address_update(user=user, address_id=address.pk, **{**VALID, "street": "Somewhere else 9"})
    services.address_delete(user=user, address_id=address.pk)

    # then both orders still ship to the address as it was
    assert len(result.orders) == 2
    for order in Order.objects.all():
        assert order.shipping_address == {
            "recipient": "王小明",
            "mobile": "13800138000",
            "province": "上海市",
            "city": "上海市",
            "district": "黄浦区",
            "street": address.street,
            "postcode": "200001",
        }


def test_checkout_ships_to_the_chosen_address_not_the_default(user):
    product = make_product()
    fill_cart(user, (product, 1))
    chosen = make_address(user, is_default=False, recipient="李丽", street="文三路 88 号")
    checkout_submit(buyer=user, address_id=chosen.pk)
    assert Order.objects.get().shipping_address["recipient"] == "李丽"


def test_checkout_without_any_address_is_refused_and_places_nothing(user):
    product = make_product(stock=3)
    CartItemFactory(cart__user=user, product=product, quantity=1)  # no address in the book
    with pytest.raises(ApplicationError) as refused:
        checkout_submit(buyer=user)
    assert refused.value.code == "address_required"
    assert refused.value.message == "Add a delivery address before placing the order."
    assert not Order.objects.exists()
    product.refresh_from_db()
    assert product.stock == 3


def test_checkout_to_someone_elses_address_is_refused(user):
    product = make_product()
    fill_cart(user, (product, 1))
    theirs = make_address(UserFactory())
    with pytest.raises(ApplicationError) as refused:
        checkout_submit(buyer=user, address_id=theirs.pk)
    assert refused.value.code == "not_found"
    assert not Order.objects.exists()


def test_an_idempotency_key_reused_for_another_address_is_refused(api_client, user):
    product = make_product(stock=5)
    fill_cart(user, (product, 1))
    home = Address.objects.get(user=user)
    work = make_address(user, is_default=False, street="Office 1")
    api_client.force_authenticate(user)
    first = api_client.post("/api/v1/checkout/", {"address": home.pk}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == 201
    assert first.json()["orders"][0]["shipping_address"]["street"] == home.street
    fill_cart(user, (product, 1))
    again = api_client.post("/api/v1/checkout/", {"address": work.pk}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert again.status_code == 422
    assert again.json()["error"]["code"] == "idempotency_key_reused"


def test_checkout_api_without_an_address_says_so(api_client, user):
    CartItemFactory(cart__user=user, product=make_product(), quantity=1)
    api_client.force_authenticate(user)
    r = api_client.post("/api/v1/checkout/", {}, format="json")
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "address_required"


# --- the checkout page ---------------------------------------------------------------------------


def test_a_new_buyer_adds_an_address_inline_and_sees_the_total_after_vouchers(client, user):
    # given a new buyer (no address) with ¥120 of one shop's items and two claimed vouchers
    product = make_product(title="Tea", price=Decimal("60.00"), stock=5)
    CartItemFactory(cart__user=user, product=product, quantity=2)
    make_voucher_claim(user, product.shop, min_spend="100.00", discount="10.00")
    best = make_voucher_claim(user, product.shop, min_spend="120.00", discount="25.00")
    out_of_reach = make_voucher_claim(user, product.shop, min_spend="200.00", discount="50.00")
    client.force_login(user)

    # when they open checkout
    page = client.get("/checkout/").content.decode()

    # then the new-address form is there, the best voucher is preselected, the one out of reach is
    # not offered but named, and the total is after the voucher
    assert 'name="new-mobile"' in page
    assert f'<option value="{best.pk}" selected>' in page
    assert f'value="{out_of_reach.pk}"' not in page
    assert "Spend ¥80.00 more here to use your ¥50.00 voucher." in page
    assert 'data-testid="checkout-total" data-total>¥95.00<' in page

    # when they submit a bad mobile number, then it is named next to the field and nothing is placed
    data = {"idempotency_key": "k-page", "address": "new", f"voucher_{product.shop_id}": str(best.pk)}
    data |= {f"new-{k}": v for k, v in VALID.items()}
    bad = client.post("/checkout/", {**data, "new-mobile": "12345"})
    assert bad.status_code == 200
    assert "Enter a mainland mobile number: 11 digits starting with 1" in bad.content.decode()
    assert not Order.objects.exists() and not Address.objects.exists()

    # when they submit it right, then the address is saved (as the default) and the order ships there
    placed = client.post("/checkout/", data)
    order = Order.objects.get()
    assert placed["Location"] == f"/checkout/pay/?orders={order.pk}"
    assert order.total == Decimal("95.00")
    assert order.shipping_address["street"] == VALID["street"]
    assert Address.objects.get(user=user).is_default


def test_the_payment_step_counts_down_and_pays(client, user, settings):
    settings.ORDER_PAYMENT_TIMEOUT_MINUTES = 15
    a, b = make_product(price=Decimal("10.00")), make_product(price=Decimal("30.00"))
    fill_cart(user, (a, 1), (b, 1))
    ids = checkout_submit(buyer=user).order_ids
    client.force_login(user)
    url = f"/checkout/pay/?orders={ids[0]},{ids[1]}"

    page = client.get(url).content.decode()
    assert 'role="timer" data-countdown' in page
    assert "Pay within" in page and "15 minutes" in page
    assert "Pay ¥40.00" in page
    assert "南京东路" in page

    r = client.post(url)
    assert r["Location"] == "/orders/"
    assert set(Order.objects.values_list("status", flat=True)) == {OrderStatus.PAID}


def test_the_payment_page_shows_only_the_buyers_own_orders(client, user):
    product = make_product()
    other = UserFactory()
    fill_cart(other, (product, 1))
    theirs = checkout_submit(buyer=other).order_ids[0]
    client.force_login(user)
    r = client.post(f"/checkout/pay/?orders={theirs}")
    assert r["Location"] == "/orders/"
    assert Order.objects.get().status == OrderStatus.PENDING_PAYMENT


def test_the_seller_sees_the_address_and_a_packing_list(client, user):
    product = make_product(title="Jade ring")
    fill_cart(user, (product, 2))
    order = checkout_submit(buyer=user).orders[0]
    client.force_login(product.shop.owner)
    page = client.get(f"/orders/{order.pk}/").content.decode()
    assert "Deliver to" in page and "南京东路" in page and "13800138000" in page
    assert "Packing list" in page and 'id="pack-' in page
    listing = client.get("/sell/orders/").content.decode()
    assert "Ship to 王小明, 上海市 黄浦区" in listing


# --- the cart prompt -----------------------------------------------------------------------------


def test_the_cart_says_how_much_more_unlocks_a_claimed_voucher(client, user):
    shop = ShopFactory()
    product = make_product(shop=shop, price=Decimal("70.00"))
    fill_cart(user, (product, 1))
    make_voucher_claim(user, shop, min_spend="100.00", discount="15.00")
    client.force_login(user)
    page = client.get("/cart/").content.decode()
    assert "Spend ¥30.00 more at this shop for ¥15.00 off." in page


def test_the_cart_says_when_a_claimed_voucher_already_applies(client, user):
    product = make_product(price=Decimal("120.00"))
    fill_cart(user, (product, 1))
    make_voucher_claim(user, product.shop, min_spend="100.00", discount="15.00")
    client.force_login(user)
    page = client.get("/cart/").content.decode()
    assert "Your voucher takes ¥15.00 off this shop’s items at checkout." in page
    assert "more at this shop" not in page


# --- pages and API -------------------------------------------------------------------------------


def test_address_pages_add_edit_default_delete(client, user):
    client.force_login(user)
    bad = client.post("/addresses/new/", {**VALID, "mobile": "999"})
    assert "11 digits starting with 1" in bad.content.decode()
    assert client.post("/addresses/new/", VALID)["Location"] == "/addresses/"
    home = Address.objects.get()
    client.post("/addresses/new/", {**VALID, "street": "Office 1"})
    work = Address.objects.exclude(pk=home.pk).get()

    assert client.post(f"/addresses/{work.pk}/", {**VALID, "street": "Office 2"})["Location"] == "/addresses/"
    client.post(f"/addresses/{work.pk}/default/")
    work.refresh_from_db()
    assert work.street == "Office 2" and work.is_default

    client.post(f"/addresses/{work.pk}/delete/")
    assert list(Address.objects.values_list("pk", "is_default")) == [(home.pk, True)]
    assert client.get(f"/addresses/{work.pk}/").status_code == 404


@pytest.mark.parametrize("rows", [2, 12])
def test_address_page_query_count(client, user, django_assert_num_queries, rows):
    for n in range(rows):
        make_address(user, street=f"Road {n}", is_default=n == 0)
    client.force_login(user)
    # user with the inbox badge (the session is cached), the addresses
    with django_assert_num_queries(2):
        page = client.get("/addresses/")
    assert page.content.decode().count("data-address=") == rows


@pytest.mark.parametrize("rows", [2, 12])
def test_address_api_query_count(api_client, user, django_assert_num_queries, rows):
    for n in range(rows):
        make_address(user, street=f"Road {n}", is_default=n == 0)
    api_client.force_authenticate(user)
    with django_assert_num_queries(1):
        r = api_client.get("/api/v1/addresses/")
    assert len(r.json()) == rows
    assert r.json()[0]["is_default"] is True


def test_address_api_add_change_delete(api_client, user):
    api_client.force_authenticate(user)
    bad = api_client.post("/api/v1/addresses/", {**VALID, "mobile": "1234"}, format="json")
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "invalid"
    assert "mobile" in bad.json()["error"]["fields"]

    made = api_client.post("/api/v1/addresses/", VALID, format="json")
    assert made.status_code == 201 and made.json()["is_default"] is True
    other = api_client.post("/api/v1/addresses/", {**VALID, "street": "Office 1"}, format="json").json()

    patched = api_client.patch(f"/api/v1/addresses/{other['id']}/", {"is_default": True}, format="json")
    assert patched.status_code == 200 and patched.json()["is_default"] is True
    assert patched.json()["street"] == "Office 1"
    assert api_client.delete(f"/api/v1/addresses/{other['id']}/").status_code == 204
    assert api_client.get(f"/api/v1/addresses/{other['id']}/").status_code == 404
    assert Address.objects.get().is_default


def test_someone_elses_address_is_not_found_in_the_api(api_client, user):
    theirs = make_address(UserFactory())
    api_client.force_authenticate(user)
    assert api_client.get(f"/api/v1/addresses/{theirs.pk}/").status_code == 404
    assert api_client.delete(f"/api/v1/addresses/{theirs.pk}/").status_code == 404
    assert Address.objects.filter(pk=theirs.pk).exists()


def test_an_address_id_too_big_for_the_database_is_a_clear_400_not_a_500(api_client, client, user):
    fill_cart(user, (make_product(), 1))
    api_client.force_authenticate(user)
    r = api_client.post("/api/v1/checkout/", {"address": 2**70}, format="json")
    assert r.status_code == 400
    assert "address" in r.json()["error"]["fields"]
    client.force_login(user)
    page = client.post("/checkout/", {"idempotency_key": "k", "address": str(2**70)})
    assert page.status_code == 200
    assert "Choose one of your addresses or enter a new one." in page.content.decode()
    assert not Order.objects.exists()


def test_odd_ids_in_the_checkout_form_and_payment_link_are_answered_not_500(client, user):
    # "²" passes str.isdigit() but not int(): each of these was a 500
    product = make_product(price=Decimal("10.00"))
    fill_cart(user, (product, 1))
    client.force_login(user)

    data = {"idempotency_key": "k-odd", "address": "²", f"voucher_{product.shop_id}": "²"}
    refused = client.post("/checkout/", data)
    assert refused.status_code == 200
    assert "Choose one of your addresses or enter a new one." in refused.content.decode()
    assert not Order.objects.exists()

    for orders in ("²", "99999999999999999999999", "1,²"):
        answer = client.get(f"/checkout/pay/?orders={orders}")
        assert answer.status_code == 302 and answer["Location"] == "/orders/"
