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


def _unbounded_integers(schema: dict, components: dict, path: str):
    """Writable integer properties of a request body without both ``minimum`` and ``maximum``."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        yield from _unbounded_integers(components[name], components, name)
        return
    if schema.get("type") == "integer" and not schema.get("readOnly") and "enum" not in schema:
        if "minimum" not in schema or "maximum" not in schema:
            yield path
    for key, value in schema.get("properties", {}).items():
        yield from _unbounded_integers(value, components, f"{path}.{key}")
    if "items" in schema:
        yield from _unbounded_integers(schema["items"], components, f"{path}[]")
    for part in schema.get("allOf", []) + schema.get("oneOf", []) + schema.get("anyOf", []):
        yield from _unbounded_integers(part, components, path)


def test_every_integer_a_request_body_takes_is_bounded(schema):
    # An unbounded integer reaches the database: 2**70 as a deal's per-buyer limit was a 500
    # (PostgreSQL "integer out of range"), as a story's product ids an OverflowError on SQLite.
    # Ids are bounded by core.ids.MAX_ID, counts by the column (core.ids.MAX_COUNT) or a rule.
    components = schema["components"]["schemas"]
    bodies = [
        (f"{method.upper()} {path}", media["schema"])
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        for media in operation.get("requestBody", {}).get("content", {}).values()
    ]
    assert len(bodies) > 30  # the walk found the API's request bodies
    unbounded = {found for where, body in bodies for found in _unbounded_integers(body, components, where)}
    assert not sorted(unbounded)
