"""Money is exact: every price a selector returns is a Decimal of the currency's minor unit
(2 places for CNY) on every database, and the cart and checkout pages show it to the fen.

SQLite computes a percentage deal's price as a float (159.00 × 70% = 111.3) that Django reads
back as ``Decimal("111.300000000000")``; PostgreSQL computes in numeric. Both must give 111.30.
This file runs on whichever database the suite runs on (SQLite locally, PostgreSQL in CI)."""

from decimal import Decimal

import pytest
from django.db import connection

from marketplace.models import Product
from marketplace.selectors.catalogue import product_get_public, product_list_public
from marketplace.selectors.orders import cart_get
from marketplace.selectors.pricing import product_annotate_prices
from marketplace.selectors.sales import sale_deal_list
from tests.marketplace.factories import fill_cart, make_live_deal, make_product

pytestmark = pytest.mark.django_db


def _exact(value) -> bool:
    return isinstance(value, Decimal) and value.as_tuple().exponent == -2


@pytest.fixture
def teapot():
    """A 159.00 teapot, 30% off in a live sale: 111.30."""
    product = make_product(title="Yixing teapot", price=Decimal("159.00"), stock=20)
    make_live_deal(product, percent_off=30)
    return product


def test_selectors_return_prices_quantized_to_the_fen(user, teapot):
    # given a percentage deal whose price is not a whole number of yuan
    # when the selectors read the product
    annotated = product_annotate_prices(Product.objects.filter(pk=teapot.pk)).get()
    listed = product_list_public().get(pk=teapot.pk)
    detail = product_get_public(product_id=teapot.pk)
    fill_cart(user, (teapot, 3))
    line = cart_get(user=user).lines[0]
    deal = sale_deal_list(sale=teapot.deals.get().sale).get()

    # then every price is exactly 111.30 (two places), and sums stay exact
    prices = [annotated.effective_price, listed.effective_price, detail.effective_price, line.unit_price]
    prices += [deal.sale_price, deal.effective_price]
    assert all(_exact(price) for price in prices), (connection.vendor, prices)
    assert set(prices) == {Decimal("111.30")}
    assert (line.line_total, str(line.line_total)) == (Decimal("333.90"), "333.90")


def test_cart_and_checkout_pages_show_the_deal_price_to_the_fen(client, user, teapot):
    # given the teapot in the cart, 3 of them
    fill_cart(user, (teapot, 3))
    client.force_login(user)

    # when the buyer opens the cart and the checkout page
    cart = client.get("/cart/").content.decode()
    checkout = client.get("/checkout/").content.decode()

    # then both show the exact price, line total and total, and never a long decimal
    for page in (cart, checkout):
        assert "¥333.90" in page, connection.vendor
        assert "111.3000" not in page and "333.9000" not in page
    assert "¥111.30" in cart and "¥159.00" in cart


def test_cart_api_and_checkout_receipt_carry_exact_amounts(api_client, user, teapot):
    fill_cart(user, (teapot, 3))
    api_client.force_authenticate(user)

    cart = api_client.get("/api/v1/cart/").json()
    receipt = api_client.post("/api/v1/checkout/", {}, format="json").json()

    line = cart["shops"][0]["lines"][0]
    assert (line["unit_price"], line["line_total"], cart["total"]) == ("111.30", "333.90", "333.90")
    order = receipt["orders"][0]
    assert (order["lines"][0]["unit_price"], order["subtotal"], order["total"]) == ("111.30", "333.90", "333.90")
