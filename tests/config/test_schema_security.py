"""The schema is honest about authentication (issue 13, point 5): every GET that answers an
anonymous caller with data is marked open to anonymous callers (``{}`` in its ``security``), and
the sign-in and sign-up endpoints need no token."""

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

from tests.marketplace.factories import make_product

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def _open(operation) -> bool:
    return {} in operation.get("security", [{}])


def test_sign_in_and_sign_up_need_no_token(schema):
    assert _open(schema["paths"]["/api/v1/auth/token/"]["post"])
    assert _open(schema["paths"]["/api/v1/auth/register/"]["post"])


def test_every_get_an_anonymous_caller_may_read_is_marked_open(schema):
    product = make_product()
    client = Client()
    wrongly_closed = []
    for path, operations in schema["paths"].items():
        if "get" not in operations or _open(operations["get"]):
            continue
        url = path.replace("{id}", str(product.pk)).replace("{slug}", product.shop.slug)
        if "{" in url:
            continue
        if client.get(url).status_code == 200:
            wrongly_closed.append(path)
    assert not wrongly_closed
    for path in ("/api/v1/products/", "/api/v1/products/{id}/", "/api/v1/shops/", "/api/v1/shops/{slug}/"):
        assert _open(schema["paths"][path]["get"]), path
