"""Sale day through the API: a token-authenticated checkout that the flash gate refuses is answered
early (marketplace/api/orders.py ``_checkout_refused_early`` → ``admission.flash_refusal_early``):
one read and one check of the gate, before DRF — with exactly the status, body and headers of the
whole path. Everything else (bad or missing credentials, an inactive buyer, a body the serializer
refuses, a replayed Idempotency-Key, a throttled buyer, a buyer the gate admits, no Redis) goes
the whole way and answers as it always did. Real PostgreSQL + Redis, real threads."""

from collections import Counter

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.throttles import UserWindowThrottle
from marketplace.models import CheckoutRequest, Deal, OrderLine
from marketplace.services import admission
from marketplace.services import orders as order_services
from tests.community.factories import UserFactory
from tests.concurrency import run_concurrently
from tests.marketplace.factories import fill_cart, make_live_deal, make_product

URL = "/api/v1/checkout/"


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def buy(client: APIClient, key: str | None = None, body=None, **extra):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(URL, body if body is not None else {}, format="json", **headers, **extra)


def sold_out_sale(*, units: int = 1, buyers: int = 2, per_buyer_limit: int | None = 1):
    """A flash deal of ``units`` bought up by the first ``units`` of ``buyers`` (each with one in
    the cart); returns the product, the deal and all buyers."""
    product = make_product(title="Jade bangle", stock=100)
    deal = make_live_deal(product, flash_quantity=units, per_buyer_limit=per_buyer_limit)
    people = UserFactory.create_batch(buyers)
    for person in people:
        fill_cart(person, (product, 1))
    for person in people[:units]:
        assert buy(token_client(person), key="first").status_code == 201
    return product, deal, people


def executed(queries) -> list[str]:
    """The statements run (a PREPARE is connection setup, outside the query log)."""
    return [q["sql"] for q in queries.captured_queries]


@pytest.mark.django_db
def test_a_sold_out_answer_is_one_read_and_the_same_answer_as_the_whole_path(redis_url):
    # given a sold-out deal and a late buyer with the product in the cart
    product, deal, (_first, late) = sold_out_sale()
    client = token_client(late)

    # when the late buyer checks out with their API token
    with CaptureQueriesContext(connection) as queries:
        early = buy(client, key="late-1")

    # then one prepared read answered it: 409 sold_out, nothing recorded or written
    assert early.status_code == 409
    assert early.json() == {
        "error": {
            "code": "sold_out",
            "message": "“Jade bangle” is sold out in this sale.",
            "product": product.pk,
            "available": 0,
        }
    }
    assert [sql.split()[0] for sql in executed(queries)] == ["EXECUTE"]
    assert not CheckoutRequest.objects.filter(user=late).exists()

    # and the whole path (the same buyer signed in by session: DRF, the serializer, the
    # checkout's reads, the gate admitting for real) answers byte for byte the same
    session = APIClient()
    session.force_login(late)
    whole = buy(session, key="late-2")
    assert (whole.status_code, whole.content) == (early.status_code, early.content)
    for header in ("Content-Type", "Allow"):
        assert whole[header] == early[header]
    assert "Accept" in early["Vary"]


@pytest.mark.django_db
def test_the_per_buyer_limit_is_answered_early_too(redis_url):
    # given a deal of 10 units, one per buyer, and a buyer who has bought theirs
    product, deal, (buyer,) = sold_out_sale(units=1, buyers=1)
    Deal.objects.filter(pk=deal.pk).update(flash_quantity=10)
    cache.clear()  # the gate's counters are rebuilt from PostgreSQL
    fill_cart(buyer, (product, 1))
    client = token_client(buyer)

    # when they try again
    with CaptureQueriesContext(connection) as queries:
        answer = buy(client, key="again")

    # then they are told their limit, early
    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "limit_reached"
    assert len(executed(queries)) == 1


@pytest.mark.django_db
def test_no_one_but_an_active_token_holder_is_answered_sold_out(redis_url):
    product, deal, (_first, late) = sold_out_sale()
    token = Token.objects.get_or_create(user=late)[0].key

    # a wrong token, a missing one, a malformed header: 401, as always
    anonymous = APIClient()
    assert buy(anonymous).status_code == 401
    anonymous.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert buy(anonymous).status_code == 401
    anonymous.credentials(HTTP_AUTHORIZATION=f"Token {token} extra")
    assert buy(anonymous).status_code == 401

    # a deactivated buyer: 401, though their cart is sold out
    late.is_active = False
    late.save(update_fields=["is_active"])
    assert buy(token_client(late)).status_code == 401

    # a deleted (rotated) token: 401
    late.is_active = True
    late.save(update_fields=["is_active"])
    Token.objects.filter(user=late).delete()
    stale = APIClient()
    stale.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert buy(stale).status_code == 401


@pytest.mark.django_db
def test_input_the_serializer_refuses_is_refused_as_always(redis_url):
    product, deal, (_first, late) = sold_out_sale()
    client = token_client(late)

    assert buy(client, body={"vouchers": "x"}).json()["error"]["code"] == "invalid"
    assert buy(client, body={"address": 0}).status_code == 400
    assert buy(client, key="k" * 256).json()["error"]["code"] == "invalid_idempotency_key"
    # and a plain body the serializer takes is answered early
    assert buy(client, body={"vouchers": [], "address": None}).status_code == 409


@pytest.mark.django_db
def test_a_retry_with_a_key_that_placed_an_order_replays_it(redis_url):
    # given a buyer who bought the last unit with key "k" (and has it in the cart again)
    product, deal, (buyer, _late) = sold_out_sale()
    fill_cart(buyer, (product, 1))

    # when they retry with the same key after the sell-out
    answer = buy(token_client(buyer), key="first")

    # then the first answer is replayed, not "sold out"
    assert answer.status_code == 201
    assert answer["Idempotent-Replayed"] == "true"


@pytest.mark.django_db
def test_a_throttled_buyer_is_told_so_and_counted_once_per_request(redis_url, monkeypatch):
    monkeypatch.setattr(UserWindowThrottle, "THROTTLE_RATES", {"user": "2/minute", "anon": "100/minute"})
    product, deal, (_first, late) = sold_out_sale()
    cache.clear()  # the first buyer's requests do not count against anyone here
    client = token_client(late)

    assert [buy(client).status_code for _ in range(3)] == [409, 409, 429]


@pytest.mark.django_db
def test_a_cancelled_unit_goes_to_the_next_buyer_past_the_early_answer(redis_url):
    # given a sold-out deal: the late buyer is refused early
    product, deal, (first, late) = sold_out_sale()
    assert buy(token_client(late)).status_code == 409

    # when the first buyer's order is cancelled
    order = OrderLine.objects.get(deal=deal, order__buyer=first).order
    order_services.order_cancel_by(order=order, user=first)

    # then the late buyer gets the unit
    assert buy(token_client(late)).status_code == 201


@pytest.mark.django_db
def test_without_redis_the_whole_path_answers(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    product, deal, (_first, late) = sold_out_sale()

    # PostgreSQL refuses (and the refusal is recorded under the key, as without a gate)
    answer = buy(token_client(late), key="late")
    assert answer.json()["error"]["code"] == "sold_out"
    assert CheckoutRequest.objects.filter(user=late, key="late").exists()


@pytest.mark.django_db(transaction=True)
def test_forty_token_buyers_race_ten_units_through_the_api(postgres, redis_url):
    # given a deal of 10 units (one per buyer) and 40 buyers with API tokens
    product = make_product(title="Jade bangle", stock=100)
    deal = make_live_deal(product, flash_quantity=10, per_buyer_limit=1)
    clients = []
    for person in UserFactory.create_batch(40):
        fill_cart(person, (product, 1))
        clients.append(token_client(person))

    # when they all check out at once, twice each (the second is a new key)
    calls = [lambda c=c, n=n: buy(c, key=f"k{n}").status_code for n, c in enumerate(clients)]
    calls += [lambda c=c, n=n: buy(c, key=f"again{n}").status_code for n, c in enumerate(clients)]
    statuses = Counter(run_concurrently(calls))

    # then exactly 10 orders; everyone else was told 409 (or 400 cart_empty: a buyer's other
    # request after their order emptied the cart), no 5xx
    assert statuses[201] == 10
    assert statuses[409] >= 60
    assert statuses[409] + statuses[400] == 70
    deal.refresh_from_db()
    assert deal.flash_sold == 10
    assert sum(OrderLine.objects.filter(deal=deal).values_list("quantity", flat=True)) == 10
    assert cache.get(admission._deal_key(deal.pk)) == 10


@pytest.mark.django_db
def test_checkout_prices_from_the_query_compiled_once(redis_url):
    # given a cart of two products, one in the flash deal
    from marketplace.services import checkout as checkout_services

    product, deal, (buyer,) = sold_out_sale(units=0, buyers=1)
    Deal.objects.filter(pk=deal.pk).update(flash_quantity=5)
    other = make_product(title="Tea", stock=5)
    fill_cart(buyer, (other, 2))

    # when they check out
    answer = buy(token_client(buyer), key="two")

    # then the prices are the deal's and the list price, read by the compiled query (not rebuilt)
    assert answer.status_code == 201
    lines = {line["product"]: line for order in answer.json()["orders"] for line in order["lines"]}
    assert lines[product.pk]["unit_price"] == "150.00"  # 25% off 200.00
    assert lines[product.pk]["deal"] == deal.pk and lines[other.pk]["deal"] is None
    assert lines[other.pk]["unit_price"] == f"{other.price:.2f}"
    assert checkout_services._PRICED_PRODUCTS[2]._compiled["default"] is not None
