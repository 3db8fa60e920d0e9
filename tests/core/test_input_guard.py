"""No 500 from any input (issue 13): hostile strings in every path segment, filter parameter,
cookie, header and body become a 4xx — the one JSON error body under /api/, the error page
elsewhere — and every error under /api/ is JSON (core/middleware.py, core/parsers.py)."""

import json
import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.views import APIView

from core.parsers import MAX_JSON_DEPTH, FormParser, JSONParser, MultiPartParser
from tests.community.factories import AnswerFactory, QuestionFactory, UserFactory
from tests.marketplace.factories import CategoryFactory, SaleEventFactory, make_product

pytestmark = pytest.mark.django_db


def _routes(patterns=None, prefix=""):
    """Every URL pattern of the site as a route string with its converters (``u/<str:username>/``)."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            route = prefix + str(pattern.pattern)
            if "(?P" not in route and not route.startswith("^") and "<" in route:
                yield route


ROUTES = sorted(set(_routes()))
CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")


def _fill(route: str, hostile: str) -> str:
    """The route with every segment a real-looking value, and ``hostile`` in each converter in turn."""
    return "/" + CONVERTER.sub(lambda m: hostile, route)


def _is_error_body(response) -> bool:
    body = response.json()
    return set(body) == {"error"} and {"code", "message"} <= set(body["error"])


@pytest.fixture
def world():
    """Some rows for lookups to find (a product, a category, a sale, a question with an answer)."""
    product = make_product()
    CategoryFactory(slug="tea")
    SaleEventFactory()
    AnswerFactory(question=QuestionFactory(product=product))
    return product


@pytest.fixture
def clients(world):
    """An anonymous client and a signed-in one (who sees more of the site)."""
    signed_in = Client()
    signed_in.force_login(UserFactory())
    return [Client(), signed_in]


def test_routes_were_found():
    assert len(ROUTES) > 40
    assert "u/<str:username>/" in ROUTES
    assert any(route.startswith("api/v1/users/") for route in ROUTES)


def test_a_nul_in_any_path_segment_is_a_4xx_never_a_500(clients):
    for client in clients:
        for route in ROUTES:
            for method in ("get", "post"):
                response = getattr(client, method)(_fill(route, "a%00b"))
                assert response.status_code == 400, (route, method, response.status_code)
                if route.startswith("api/"):
                    assert response["Content-Type"].startswith("application/json")
                    assert _is_error_body(response)


def test_odd_path_segments_never_500_and_api_errors_are_json(clients):
    hostiles = ["99999999999999999999999999", "null%2C%C3%A9%F0%9F%98%80..%2F"]
    for client, hostile in zip(clients, hostiles, strict=True):
        for route in ROUTES:
            response = client.get(_fill(route, hostile))
            assert response.status_code < 500, (route, response.status_code)
            if route.startswith("api/") and response.status_code >= 400:
                assert response["Content-Type"].startswith("application/json"), route
                assert _is_error_body(response)


#: Every query parameter a list or page takes somewhere (filters, search, ordering, paging).
PARAMS = [
    "q", "search", "category", "shop", "status", "sale", "ordering", "sort", "page", "page_size",
    "min_price", "max_price", "in_stock", "product", "author", "topic", "day", "kind", "cursor", "tab",
    "username", "seller", "mine", "deal", "next",
]  # fmt: skip

#: The lists and pages that take filters (and every route without a path parameter).
GET_ROUTES = sorted(
    {route for route in ROUTES if "<" not in route}
    | {"products/", "search/", "questions/", "sales/", "topics/", "live/", "orders/", "sell/orders/", "notifications/"}
    | {"categories/tea/", "api/v1/categories/tea/"}
    | {f"api/v1/{name}/" for name in ("products", "shops", "categories", "sales", "questions", "stories", "rooms")}
    | {f"api/v1/{name}/" for name in ("orders", "reviews", "notifications", "feed/trending", "topics", "shows")}
)


def test_a_nul_in_any_filter_parameter_is_a_400(clients):
    client = clients[0]
    for path in GET_ROUTES:
        for param in PARAMS:
            response = client.get(f"/{path}", {param: "a\x00b"})
            assert response.status_code == 400, (path, param, response.status_code)
            if path.startswith("api/"):
                assert _is_error_body(response)
        assert client.get(f"/{path}?a%00b=1").status_code == 400


LIST_ROUTES = [path for path in GET_ROUTES if path.startswith("api/v1/") or path in ("products/", "search/", "sales/")]


def test_hostile_filter_values_never_500(clients):
    """Every filter parameter at once with each hostile value, on every list (signed in)."""
    client = clients[1]
    for value in ["-99999999999999999999999999", "é😀' OR 1=1 --[]" + "x" * 3000]:
        for path in LIST_ROUTES:
            response = client.get(f"/{path}", dict.fromkeys(PARAMS, value))
            assert response.status_code < 500, (path, value, response.status_code)
            if path.startswith("api/") and response.status_code >= 400:
                assert _is_error_body(response)
            for param in ("page", "ordering", "category", "status"):  # the ones a view reads first
                assert client.get(f"/{path}", {param: value}).status_code < 500, (path, param, value)


def test_a_nul_in_a_cookie_a_token_or_a_form_field_is_a_400():
    client = Client()
    client.cookies["sessionid"] = "abc\x00def"
    assert client.get("/").status_code == 400
    assert Client().get("/api/v1/me/", HTTP_AUTHORIZATION="Token a\x00b").status_code == 400
    response = Client().post("/accounts/login/", {"username": "a\x00", "password": "x"})
    assert response.status_code == 400
    response = Client().post("/api/v1/auth/token/", {"username": "a\x00", "password": "x"})
    assert response.status_code == 400 and _is_error_body(response)


def test_the_nul_refusal_speaks_the_visitors_language():
    response = Client().get("/api/v1/products/", {"search": "a\x00b"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "请求中含有 NUL 字符，任何地方都不允许使用。"
    response = Client().get("/api/v1/products/", {"search": "a\x00b"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["error"]["message"] == "The request contains a NUL character, which is not allowed anywhere."


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 5_000, 100_000])
def test_deeply_nested_json_is_a_400_everywhere(depth):
    user = UserFactory()
    body = "[" * depth + "]" * depth
    nested_object = '{"a":' * depth + "1" + "}" * depth
    for client in (Client(), Client()):
        for path in ("/api/v1/auth/register/", "/api/v1/auth/token/", "/api/v1/cart/items/", "/api/v1/questions/"):
            for payload in (body, nested_object):
                response = client.post(path, payload, content_type="application/json")
                assert response.status_code in (400, 401, 403), (path, response.status_code)
                if response.status_code == 400:
                    assert response.json()["error"]["code"] == "parse_error"
        client.force_login(user)


def test_a_json_body_that_is_not_an_object_is_a_400_everywhere():
    # found by the schema fuzzer: a list body reached the token view's request.data.get (500)
    user = UserFactory()
    for client in (Client(), Client()):
        for path in ("/api/v1/auth/token/", "/api/v1/auth/register/", "/api/v1/cart/items/", "/api/v1/questions/"):
            for payload in ('["username", "password"]', '"text"', "7", "null", "[]"):
                response = client.post(path, payload, content_type="application/json")
                assert response.status_code in (400, 401, 403), (path, payload, response.status_code)
                if response.status_code == 400:
                    assert response.json()["error"]["code"] == "parse_error", (path, payload)
        client.force_login(user)


def test_json_strings_with_nul_or_unpaired_surrogates_are_a_400():
    client = Client()
    client.force_login(UserFactory())
    for raw in ('{"username": "a\\u0000b", "password": "x"}', '{"username": "\\ud800", "password": "x"}'):
        response = client.post("/api/v1/auth/register/", raw, content_type="application/json")
        assert response.status_code == 400 and response.json()["error"]["code"] == "parse_error"
    response = client.post("/api/v1/questions/", '{"body": {"\\u0000": 1}}', content_type="application/json")
    assert response.status_code == 400


def test_json_nested_within_the_limit_still_parses():
    body = json.dumps({"username": "ok", "password": "long-enough-pw-123", "extra": [[[[{"a": [1]}]]]]})
    assert Client().post("/api/v1/auth/register/", body, content_type="application/json").status_code == 201


def test_every_api_view_parses_with_the_guarded_parsers():
    guarded = (JSONParser, FormParser, MultiPartParser)
    offenders = []
    for pattern in _all_patterns():
        view = getattr(pattern.callback, "cls", None) or getattr(pattern.callback, "view_class", None)
        if view and issubclass(view, APIView):
            for parser in view.parser_classes:
                if not issubclass(parser, guarded):
                    offenders.append(f"{view.__module__}.{view.__name__}: {parser.__name__}")
    assert not offenders, offenders


def _all_patterns(patterns=None):
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from _all_patterns(pattern.url_patterns)
        else:
            yield pattern


def test_api_errors_are_json_oversized_body_unknown_id_unknown_url(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client = Client()
    for content_type in ("application/json", "application/x-www-form-urlencoded"):
        response = client.post("/api/v1/auth/register/", "a" * 5000, content_type=content_type)
        assert response.status_code == 413, content_type
        assert response.json()["error"]["code"] == "request_too_large"
    for path in ("/api/v1/products/not-a-number/", "/api/v1/no-such-thing/", "/api/v1/orders/1/nope/"):
        response = client.get(path)
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found", path
    # a page keeps its HTML error page
    response = client.get("/products/not-a-number/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


def test_a_malformed_multipart_body_is_a_400():
    client = Client()
    body = b"--xx\r\nContent-Disposition: form-data; name=\r\n\r\n"
    for path in ("/accounts/login/", "/api/v1/auth/token/"):
        response = client.generic("POST", path, body, content_type="multipart/form-data; boundary=")
        assert response.status_code == 400, path


def test_api_server_errors_are_json(settings):
    from django.test import RequestFactory

    from config.views import server_error

    response = server_error(RequestFactory().get("/api/v1/products/"))
    assert response.status_code == 500 and json.loads(response.content)["error"]["code"] == "server_error"
    assert server_error(RequestFactory().get("/products/"))["Content-Type"].startswith("text/html")


def test_an_unhandled_constraint_race_is_a_409_not_a_500():
    from django.db import IntegrityError
    from django.test import RequestFactory

    from core.api import exception_handler
    from core.middleware import ConflictMiddleware

    api = exception_handler(IntegrityError("duplicate key"), {"request": RequestFactory().post("/api/v1/x/")})
    assert api.status_code == 409 and api.data["error"]["code"] == "conflict"
    page = ConflictMiddleware(lambda r: None).process_exception(
        RequestFactory().get("/questions/1/"), IntegrityError("duplicate key")
    )
    assert page.status_code == 409


def test_a_query_without_a_nul_or_a_percent_00_is_not_parsed_by_the_guard():
    """Only a NUL or ``%00`` in the query string can decode to a NUL, so the guard parses the
    query only then (a view that reads ``request.GET`` parses it once, itself)."""
    from django.test import Client

    client = Client()
    response = client.get("/ping?page=2&q=silk+fan&x=%E4%B8%AD")
    assert response.status_code == 200 and "GET" not in response.wsgi_request.__dict__
    assert client.get("/ping?q=a%00b").status_code == 400
    assert client.get("/ping?a%00=1").status_code == 400


@pytest.mark.parametrize("path", ["/api/v1/checkout/", "/accounts/login/"])
def test_a_chunked_body_is_refused_with_411_not_served_as_an_empty_one(path):
    # Django reads a body by its Content-Length: without one, a chunked body would be read as
    # empty and the request served without it (a checkout with none of the buyer's choices)
    response = Client().generic(
        "POST", path, b"", content_type="application/json", HTTP_TRANSFER_ENCODING="chunked", CONTENT_LENGTH=""
    )
    assert response.status_code == 411
    assert "Content-Length" in response.content.decode()
    if path.startswith("/api/"):
        assert response.json()["error"]["code"] == "length_required"
    # a body with its length is served as before
    assert Client().post(path, {}, content_type="application/json").status_code != 411
