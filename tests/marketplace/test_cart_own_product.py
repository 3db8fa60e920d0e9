"""A seller cannot put their own product in the cart (issue 13, point 8): the cart service
refuses it (403 ``own_shop``) for the page, the API and a signed-out cart merged at sign-in,
long before checkout."""

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from marketplace.models import CartItem
from marketplace.services import cart as cart_services
from tests.marketplace.factories import ShopFactory, make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def own_product(user):
    return make_product(shop=ShopFactory(owner=user), title="My tea")


def test_the_api_refuses_with_own_shop(user, own_product):
    client = APIClient()
    client.force_authenticate(user)

    response = client.post("/api/v1/cart/items/", {"product": own_product.pk, "quantity": 1}, format="json")

    assert response.status_code == 403
    assert response.json()["error"] == {"code": "own_shop", "message": "You cannot buy from your own shop."}
    assert not CartItem.objects.exists()


def test_the_page_says_why_and_adds_nothing(user, own_product):
    client = Client()
    client.force_login(user)

    response = client.post(reverse("marketplace:cart_add"), {"product": own_product.pk, "quantity": 1}, follow=True)

    assert "You cannot buy from your own shop." in [str(m) for m in response.context["messages"]]
    assert not CartItem.objects.exists()


def test_an_anonymous_cart_with_my_product_leaves_it_out_at_sign_in(user, own_product):
    other = make_product(title="Their tea")
    session = {}
    cart_services.session_cart_item_add(session=session, product_id=own_product.pk, quantity=1)
    cart_services.session_cart_item_add(session=session, product_id=other.pk, quantity=1)

    notes = cart_services.cart_merge_session(user=user, session=session)

    assert list(CartItem.objects.values_list("product_id", flat=True)) == [other.pk]
    assert notes == ["“My tea” is from your own shop, so it was left out of your cart."]
