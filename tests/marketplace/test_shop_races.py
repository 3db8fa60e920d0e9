"""Opening shops at once (issue 13, point 2): one user opening several shops at the same moment
and two users opening shops with the same name (the same slug) are told 409 ``shop_exists`` /
``slug_taken``, never a 500. Real threads on PostgreSQL through the API."""

from collections import Counter

import pytest
from rest_framework.test import APIClient

from marketplace.models import Shop
from tests.community.factories import UserFactory
from tests.concurrency import run_concurrently

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def _open_shop(user, name):
    def call():
        client = APIClient()
        client.force_authenticate(user)
        response = client.post("/api/v1/shops/", {"name": name}, format="json")
        return response.status_code, response.json()

    return call


def test_one_user_opening_several_shops_at_once_gets_one(postgres):
    seller = UserFactory()

    results = run_concurrently([_open_shop(seller, f"Tea house {n}") for n in range(6)])

    assert Counter(status for status, _ in results) == {201: 1, 409: 5}, results
    assert {body["error"]["code"] for status, body in results if status == 409} == {"shop_exists"}
    assert Shop.objects.filter(owner=seller).count() == 1


def test_users_opening_shops_with_the_same_name_at_once(postgres):
    sellers = UserFactory.create_batch(6)

    results = run_concurrently([_open_shop(seller, "Pearl River Tea") for seller in sellers])

    assert Counter(status for status, _ in results) == {201: 1, 409: 5}, results
    assert {body["error"]["code"] for status, body in results if status == 409} == {"slug_taken"}
    assert Shop.objects.filter(slug="pearl-river-tea").count() == 1
