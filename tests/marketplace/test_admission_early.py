"""Sale day through the API: a token-authenticated checkout that the flash gate refuses is answered
early (marketplace/api/orders.py ``_checkout_early`` → ``admission_early.flash_early``):
before DRF, from the token's entry in Redis and the gate's counters in one round trip and no SQL
(the first refusal of a token reads PostgreSQL and builds the entry), with exactly the status,
body and headers of the whole path; every write the entry depends on drops it. A token's checkout
that the early read (from PostgreSQL) finds admitted is placed there too, through the same
service, without DRF's token authentication, and answers as the whole path. Everything else
(bad or missing credentials, an inactive buyer, a body the serializer refuses, a replayed
Idempotency-Key, a throttled buyer, no Redis) goes the whole way and answers as it always did.
Real PostgreSQL + Redis, real threads."""

import json
from collections import Counter
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.errors import ApplicationError
from core.throttles import UserWindowThrottle
from marketplace.caching import cart_tag, product_tag
from marketplace.models import CheckoutRequest, Deal, OrderLine
from marketplace.services import admission, admission_early
from marketplace.services import orders as order_services
from marketplace.services.checkout import checkout_submit
from tests.community.factories import UserFactory
from tests.concurrency import run_concurrently
from tests.marketplace.factories import fill_cart, make_live_deal, make_product
from tests.redis_switch import RedisRoundTrips

URL = "/api/v1/checkout/"
#: Several tests pin prepared statements (EXECUTE): each starts on a connection that holds none,
#: as a worker's new one (a test run's connection may hold core.queries.MAX_PREPARED already).
pytestmark = pytest.mark.usefixtures("no_prepared_statements")


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
def test_a_sold_out_answer_is_one_round_trip_and_the_same_answer_as_the_whole_path(redis_url, monkeypatch):
    # given a sold-out deal and a late buyer with the product in the cart, refused once already
    # (the first refusal reads PostgreSQL and keeps what the next ones need in Redis)
    product, deal, (_first, late) = sold_out_sale()
    client = token_client(late)
    with CaptureQueriesContext(connection) as first:
        assert buy(client, key="late-0").status_code == 409
    assert [sql.split()[0] for sql in executed(first)][:1] == ["EXECUTE"]

    # when the late buyer checks out again with their API token
    redis_calls = RedisRoundTrips(monkeypatch)
    with CaptureQueriesContext(connection) as queries:
        early = buy(client, key="late-1")

    # then Redis alone answered it, in one round trip (the decision and the throttle's counter):
    # 409 sold_out, no SQL, nothing recorded or written
    assert early.status_code == 409
    assert early.json() == {
        "error": {
            "code": "sold_out",
            "message": "“Jade bangle” is sold out in this sale.",
            "product": product.pk,
            "available": 0,
        }
    }
    assert executed(queries) == []
    assert redis_calls.count == 1
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

    # when they try again, twice
    first = buy(client, key="again")
    with CaptureQueriesContext(connection) as queries:
        answer = buy(client, key="again-2")

    # then they are told their limit, early, and the second time without SQL
    assert first.status_code == answer.status_code == 409
    assert first.json() == answer.json()
    assert answer.json()["error"]["code"] == "limit_reached"
    assert executed(queries) == []


@pytest.mark.django_db(transaction=True)  # the writes' cache bumps run on commit
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

    # a deactivated buyer: 401, though their cart is sold out (and they were refused early before)
    assert buy(token_client(late)).status_code == 409
    assert buy(token_client(late)).status_code == 409
    late.is_active = False
    late.save(update_fields=["is_active"])
    assert buy(token_client(late)).status_code == 401

    # a deleted (rotated) token: 401
    late.is_active = True
    late.save(update_fields=["is_active"])
    assert buy(token_client(late)).status_code == 409
    assert buy(token_client(late)).status_code == 409
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
    # and a form body (read from the stream before the view, so its raw bytes are gone) goes the
    # whole way, which answers it as it answers any form
    form = client.post(URL, {"address": ""}, format="multipart")
    assert form.status_code == 409 and form.json()["error"]["code"] == "sold_out"


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
    monkeypatch.setattr(UserWindowThrottle, "THROTTLE_RATES", {"user": "3/minute", "anon": "100/minute"})
    product, deal, (_first, late) = sold_out_sale()
    cache.clear()  # the first buyer's requests do not count against anyone here
    client = token_client(late)

    # the first answer is read from PostgreSQL (counted apart), the next from the token's entry
    # (counted in the decision's round trip): the fourth request in the minute is throttled
    assert [buy(client).status_code for _ in range(4)] == [409, 409, 409, 429]


@pytest.mark.django_db
def test_refusals_answered_alike_share_one_body_per_language_and_change_with_the_answer(redis_url, caplog):
    # given a sold-out deal of 2 units and three late buyers, each refused once (entries built)
    product, deal, people = sold_out_sale(units=2, buyers=5)
    late = people[2:]
    for person in late:
        assert buy(token_client(person)).status_code == 409
    whole = APIClient()
    whole.force_login(late[0])
    english = buy(whole, key="whole-en")

    # when they retry early, in English and in Chinese, with a WARNING logger listening
    caplog.clear()
    with caplog.at_level("WARNING", logger="django.request"):
        answers = [buy(token_client(person), key=f"again-{i}") for i, person in enumerate(late)]
        chinese = buy(token_client(late[0]), key="zh", HTTP_ACCEPT_LANGUAGE="zh-hans")
    logged = list(caplog.records)

    # then each is the whole path's answer in the buyer's language, byte for byte, and none of
    # the early refusals is logged as a client error (the sale working, by the thousand a second)
    assert {(answer.status_code, answer.content) for answer in answers} == {(409, english.content)}
    assert chinese.status_code == 409 and chinese.content != english.content
    assert chinese.json()["error"]["code"] == "sold_out" and "Jade bangle" in chinese.json()["error"]["message"]
    whole_zh = buy(whole, key="whole-zh", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert whole_zh.content == chinese.content
    assert logged == []

    # and when a unit comes back (an order cancelled), the next refusal says what is left now
    first_order = OrderLine.objects.get(deal=deal, order__buyer=people[0]).order
    order_services.order_cancel_by(order=first_order, user=people[0])
    assert buy(token_client(late[0]), key="back").status_code == 201
    assert buy(token_client(late[1]), key="gone").json() == english.json()


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


def refused_early_twice(client, key: str = "late") -> None:
    """Two refusals: the first builds the token's entry, the second is answered from it."""
    assert buy(client, key=f"{key}-a").status_code == 409
    with CaptureQueriesContext(connection) as queries:
        assert buy(client, key=f"{key}-b").status_code == 409
    assert executed(queries) == []


@pytest.mark.django_db(transaction=True)  # the writes' cache bumps run on commit
def test_every_write_the_early_answer_depends_on_drops_it(redis_url):
    from marketplace.services import cart as cart_services
    from marketplace.services import live_deals
    from marketplace.services import sales as sale_services

    product, deal, (_first, late, other) = sold_out_sale(buyers=3)
    client = token_client(late)
    refused_early_twice(client)

    # the buyer's cart: the flash product out, another in -> their order goes through
    tea = make_product(title="Tea", stock=5)
    cart_services.cart_item_remove(user=late, product_id=product.pk)
    cart_services.cart_item_add(user=late, product_id=tea.pk, quantity=1)
    assert buy(client, key="tea").status_code == 201

    # a room-only deal started on the product: it is no longer gated (nothing answered early)
    other_token = Token.objects.get_or_create(user=other)[0].key
    refused_early_twice(token_client(other), key="other")
    live_deals.live_deal_create(product=product, audience="room:1", price="99.00", quantity=5, minutes=10)
    assert admission_early.flash_refusal_early(token=other_token, idempotency_key="x") is None
    live_deals.live_deal_end(deal=Deal.objects.get(product=product, kind="live"))
    assert admission_early.flash_refusal_early(token=other_token, idempotency_key="x") is not None

    # the deal rejected by a moderator: the buyer pays the list price
    sale_services.deal_moderate(deal_ids=[deal.pk], approve=False)
    answer = buy(token_client(other), key="after-reject")
    assert answer.status_code == 201
    assert answer.json()["orders"][0]["lines"][0]["deal"] is None


@pytest.mark.django_db(transaction=True)  # the writes' cache bumps run on commit
def test_the_early_answer_ends_with_the_sale(redis_url):
    import time

    from django.utils import timezone

    from marketplace.models import SaleEvent

    # given a sold-out deal of a sale ending in two seconds (moved by a raw UPDATE: no cache bump)
    product, deal, (_first, late) = sold_out_sale()
    ends_at = timezone.now() + timezone.timedelta(seconds=2)
    SaleEvent.objects.filter(pk=deal.sale_id).update(ends_at=ends_at)
    client = token_client(late)
    refused_early_twice(client)

    # when the sale has ended
    time.sleep(max(0, (ends_at - timezone.now()).total_seconds()) + 0.1)

    # then the buyer is not told "sold out": they buy at the list price
    answer = buy(client, key="after-the-sale")
    assert answer.status_code == 201
    assert answer.json()["orders"][0]["lines"][0]["deal"] is None


@pytest.mark.django_db(transaction=True)  # the writes' cache bumps run on commit
def test_a_key_recorded_after_the_early_answer_was_built_is_replayed(redis_url):
    from marketplace.models import Address

    # given a buyer refused early (their entry built), then a unit back (a cancelled order)
    product, deal, (first, late, third) = sold_out_sale(buyers=3)
    client = token_client(late)
    refused_early_twice(client)
    order_services.order_cancel_by(order=OrderLine.objects.get(deal=deal).order, user=first)

    # when the buyer, without an address, checks out with key "r": refused and recorded
    Address.objects.filter(user=late).delete()
    refused = buy(client, key="r")
    assert refused.json()["error"]["code"] == "address_required"
    # and the unit sells out again
    assert buy(token_client(third), key="t").status_code == 201

    # then a retry of "r" replays the recorded answer, not "sold out"
    retry = buy(client, key="r")
    assert (retry.status_code, retry.content) == (refused.status_code, refused.content)
    assert retry["Idempotent-Replayed"] == "true"
    # and a retry of the buyer's whose order placed it replays the order
    fill_cart(third, (product, 1))
    assert buy(token_client(third), key="t-2").status_code == 409
    again = buy(token_client(third), key="t")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"


@pytest.mark.django_db(transaction=True)  # the writes' cache bumps run on commit
def test_a_redis_flush_after_the_early_answer_was_built(redis_url):
    # given a late buyer answered from their entry
    product, deal, (first, late) = sold_out_sale()
    client = token_client(late)
    refused_early_twice(client)

    # when Redis loses everything: still sold out (read from PostgreSQL, entry and counters rebuilt)
    cache.clear()
    assert buy(client, key="after-flush").json()["error"]["code"] == "sold_out"
    refused_early_twice(client, key="rebuilt")

    # and a cancelled unit still goes to them
    order_services.order_cancel_by(order=OrderLine.objects.get(deal=deal).order, user=first)
    assert buy(client, key="the-unit").status_code == 201


def a_buyer_of_a_live_deal(*, per_buyer_limit: int):
    """A flash deal with units left (5) and a buyer with one of it in the cart."""
    product = make_product(title="Jade bangle", stock=100)
    deal = make_live_deal(product, flash_quantity=5, per_buyer_limit=per_buyer_limit)
    buyer = UserFactory()
    fill_cart(buyer, (product, 1))
    return product, deal, buyer


@pytest.mark.django_db
def test_an_admitted_token_checkout_reuses_what_the_early_read_saw(redis_url):
    # given a flash deal with units left and a buyer with it in the cart, checking out with a
    # token for the first time (no entry: the early way reads PostgreSQL, and the gate would admit)
    product, deal, buyer = a_buyer_of_a_live_deal(per_buyer_limit=1)
    client = token_client(buyer)
    # when they check out
    with CaptureQueriesContext(connection) as queries:
        answer = buy(client, key="first")
    # then the order is placed and the cart's deals were read once (by the early read), not again
    assert answer.status_code == 201
    statements = executed(queries)
    assert sum("jishi_flash_early_read" in sql for sql in statements) == 1
    assert not any("jishi_flash_cart_deals" in sql for sql in statements)
    # and the unit went through the gate: the next buyer of the last unit is counted against it
    assert Deal.objects.get(pk=deal.pk).flash_sold == 1
    assert admission.gated_deals_for_products(product_ids=[product.pk])[product.pk].deal_id == deal.pk
    assert cache.get(admission._deal_key(deal.pk)) == 1


@pytest.mark.django_db
def test_a_product_the_early_read_did_not_see_is_not_gated_and_postgresql_still_refuses(redis_url):
    # given a sold-out flash deal, and an admission told (by an early read from before the
    # product was in the cart) that the cart has no gated deal
    product = make_product(title="Jade bangle", stock=100)
    make_live_deal(product, flash_quantity=1, flash_sold=1)
    buyer = UserFactory()
    fill_cart(buyer, (product, 1))

    # when the buyer checks out with that
    with pytest.raises(ApplicationError) as refused:
        checkout_submit(buyer=buyer, idempotency_key="k", gated_deals={})
    # then the gate let it through and PostgreSQL refused it: nothing sold
    assert refused.value.code == "sold_out"
    assert not OrderLine.objects.filter(product=product).exists()


def receipt_shape(answer) -> dict:
    """A receipt without what differs between two buyers' equal orders (the order's id and time,
    the street of the address factory's sequence)."""
    body = json.loads(answer.content)
    for order in body["orders"]:
        del order["id"], order["expires_at"], order["shipping_address"]["street"]
    return body


@pytest.mark.django_db
def test_an_admitted_token_checkout_takes_the_cart_from_the_early_read_only_when_it_read_all_of_it(redis_url):
    # given a flash deal, a buyer with only it in the cart and one with another product too
    product = make_product(title="Jade bangle", stock=100)
    make_live_deal(product, flash_quantity=5, per_buyer_limit=1)
    other = make_product(title="Tea tin", stock=100)
    alone, mixed = UserFactory.create_batch(2)
    fill_cart(alone, (product, 1))
    fill_cart(mixed, (product, 1), (other, 2))

    # when each checks out with their API token
    answers = {}
    for person in (alone, mixed):
        with CaptureQueriesContext(connection) as queries:
            answers[person] = buy(token_client(person), key="k")
        answers[person].cart_reads = [q["sql"] for q in queries if "jishi_cart_items" in q["sql"]]

    # then both are placed with every line of the cart; the cart is read again only for the one
    # whose cart the early read did not see whole (the tea has no deal)
    assert [answers[p].status_code for p in (alone, mixed)] == [201, 201]
    lines = {(line.order.buyer_id, line.product_id, line.quantity) for line in OrderLine.objects.all()}
    assert lines == {(alone.pk, product.pk, 1), (mixed.pk, product.pk, 1), (mixed.pk, other.pk, 2)}
    assert (len(answers[alone].cart_reads), len(answers[mixed].cart_reads)) == (0, 1)


@pytest.mark.django_db
def test_a_token_checkout_the_gate_admits_is_placed_before_drf_and_answers_as_the_whole_path(redis_url, monkeypatch):
    # given a flash deal with units left and two buyers with it in the cart
    product = make_product(title="Jade bangle", stock=100)
    deal = make_live_deal(product, flash_quantity=5, per_buyer_limit=1)
    early_buyer, whole_buyer = UserFactory.create_batch(2)
    for person in (early_buyer, whole_buyer):
        fill_cart(person, (product, 1))
    client = token_client(early_buyer)

    # when one checks out with their API token for the first time (the early read finds them, and
    # the gate would admit)
    redis_calls = RedisRoundTrips(monkeypatch)
    with CaptureQueriesContext(connection) as queries:
        early = buy(client, key="first")

    # then the order is placed without DRF's token authentication: neither the token row nor the
    # person is read again, nor their cache entry made (the early read found the active buyer)
    assert early.status_code == 201
    statements = executed(queries)
    assert not any("authtoken_token" in sql or "jishi_user_badge" in sql for sql in statements)
    # the early read (with the cart: every line of it has a candidate deal), then in the
    # transaction (a savepoint in a test) the record, the cart emptied, the address, the priced
    # products and 3 writes on PostgreSQL (the buyer's units, the order with its line, then the
    # flash units with the stock; 5 statements elsewhere); on PostgreSQL the transaction's
    # statements travel in two queries: the record with the reads, then the writes
    queried = [sql for sql in statements if "SAVEPOINT" not in sql]
    if connection.vendor == "postgresql":  # every one prepared once per connection
        assert len(queried) == 3
        executes = [part for sql in queried for part in sql.split("; ")]
        assert len(executes) == 5 + 3
        assert [sql for sql in executes if not sql.startswith("EXECUTE")] == []
    else:
        assert len(queried) == 5 + 5
    # the early script, then the gate's admission with the throttle counted in its script (the
    # on-commit marks and bumps do not run in a test's transaction)
    assert redis_calls.count == 2
    assert cache.get(admission._deal_key(deal.pk)) == 1
    line = OrderLine.objects.get(order__buyer=early_buyer)
    assert (line.deal_id, line.quantity) == (deal.pk, 1)
    assert CheckoutRequest.objects.get(user=early_buyer).key == "first"

    # and the whole path (the other buyer's token checkout with a query string, which the early
    # way leaves alone: DRF, its token authentication, the serializer) answers the same status,
    # body and headers
    whole = token_client(whole_buyer).post(URL + "?via=drf", {}, format="json", HTTP_IDEMPOTENCY_KEY="first")
    assert whole.status_code == 201
    assert receipt_shape(whole) == receipt_shape(early)
    for header in ("Content-Type", "Allow", "Vary"):
        assert whole[header] == early[header]
    assert "Idempotent-Replayed" not in early

    # and a retry of the same key replays the order (the whole way: the key has a record now)
    fill_cart(early_buyer, (product, 1))
    again = buy(client, key="first")
    assert (again.status_code, again["Idempotent-Replayed"]) == (201, "true")
    assert again.json() == early.json()
    assert Deal.objects.get(pk=deal.pk).flash_sold == 2


@pytest.mark.django_db
def test_a_refusal_after_the_gate_admitted_early_answers_as_the_whole_path(redis_url):
    # given a flash deal with units left and two buyers with it in the cart but no address
    product = make_product(title="Jade bangle", stock=100)
    make_live_deal(product, flash_quantity=5, per_buyer_limit=1)
    early_buyer, whole_buyer = UserFactory.create_batch(2)
    for person in (early_buyer, whole_buyer):
        fill_cart(person, (product, 1))
        person.addresses.all().delete()

    # when they check out with their tokens, one the early way (the gate admits), one the whole
    # way (a query string: DRF)
    early = buy(token_client(early_buyer), key="k")
    whole = token_client(whole_buyer).post(URL + "?via=drf", {}, format="json", HTTP_IDEMPOTENCY_KEY="k")

    # then the checkout's refusal is the same answer both ways, recorded, and the unit is back
    assert early.status_code == 400
    assert early.json()["error"]["code"] == "address_required"
    assert (whole.status_code, whole.content) == (early.status_code, early.content)
    for header in ("Content-Type", "Allow", "Vary"):
        assert whole[header] == early[header]
    assert CheckoutRequest.objects.get(user=early_buyer).refusal["code"] == "address_required"
    assert not OrderLine.objects.filter(product=product).exists()
    gate = cache.get(admission._deal_key(product.deals.get().pk))
    assert gate in (0, None)


@pytest.mark.django_db
def test_a_throttled_or_inactive_token_buyer_the_gate_would_admit_is_answered_by_the_whole_path(redis_url, monkeypatch):
    product = make_product(title="Jade bangle", stock=100)
    make_live_deal(product, flash_quantity=5, per_buyer_limit=1)
    throttled, inactive = UserFactory.create_batch(2)
    for person in (throttled, inactive):
        fill_cart(person, (product, 1))
    inactive_client = token_client(inactive)
    inactive.is_active = False
    inactive.save()

    # an inactive buyer's token: 401, as DRF's token authentication answers it
    answer = buy(inactive_client, key="k")
    assert answer.status_code == 401

    # a throttled buyer: 429, nothing placed
    monkeypatch.setattr(UserWindowThrottle, "THROTTLE_RATES", {"user": "1/minute", "anon": "100/minute"})
    cache.clear()
    client = token_client(throttled)
    assert buy(client, body={"vouchers": [1]}).status_code == 400  # counted: the whole way refuses it
    assert buy(client, key="k").status_code == 429
    assert not OrderLine.objects.filter(product=product).exists()
    # and no unit is held for the throttled checkout, which was counted once (with the gate's
    # script, not again by the whole way)
    assert cache.get(admission._deal_key(product.deals.get().pk)) in (0, None)
    key, _ttl, _allowed = UserWindowThrottle().window_counter(SimpleNamespace(user=throttled, META={}), None)
    assert int(cache.client.get(cache.make_key(key))) == 2


@pytest.mark.django_db
def test_an_admitted_token_order_is_three_round_trips_with_its_commit(
    redis_url, monkeypatch, django_capture_on_commit_callbacks
):
    # given a buyer of a flash deal with units left, checking out with a token for the first time
    # after another buyer's order (which built the marks its receivers ask)
    product, _deal, buyer = a_buyer_of_a_live_deal(per_buyer_limit=1)
    first = UserFactory()
    fill_cart(first, (product, 1))
    with django_capture_on_commit_callbacks(execute=True):
        assert buy(token_client(first), key="first").status_code == 201
    client = token_client(buyer)
    cached_cart = cache.get(cart_tag(buyer.pk))

    # when the order is placed and its transaction's commit callbacks run
    redis_calls = RedisRoundTrips(monkeypatch)
    with django_capture_on_commit_callbacks(execute=True):
        answer = buy(client, key="first")

    # then Redis was asked three times: the early script, the gate's admission with the throttle,
    # and on commit the receivers' marks with the cart's and products' tags bumped
    assert answer.status_code == 201
    assert redis_calls.count == 3
    assert cache.get(cart_tag(buyer.pk)) != cached_cart
    assert cache.get(product_tag(product.pk)) is not None


@pytest.mark.django_db(transaction=True)
def test_an_admitted_token_order_is_three_queries_to_postgresql(redis_url, pg_wire):
    # given a buyer of a flash deal with units left, checking out with a token for the first time
    # (after another buyer's order: the statements are prepared on the connection)
    product, deal, buyer = a_buyer_of_a_live_deal(per_buyer_limit=1)
    first = UserFactory()
    fill_cart(first, (product, 1))
    assert buy(token_client(first), key="first").status_code == 201
    client = token_client(buyer)
    pg_wire()

    # when the order is placed
    answer = buy(client, key="first")

    # then PostgreSQL was asked three times: the early read; the transaction's BEGIN with the
    # key's record, the cart and the priced products; the buyer's units, the order and the hot
    # rows with the COMMIT
    sent = pg_wire()
    assert answer.status_code == 201
    assert len(sent) == 3, sent
    assert sent[1].startswith("BEGIN; ") and sent[2].endswith("; COMMIT")
    # and it is placed: the unit counted once, the order with its line
    assert Deal.objects.get(pk=deal.pk).flash_sold == 2
    assert OrderLine.objects.filter(order__buyer=buyer, product=product, quantity=1).count() == 1


@pytest.mark.django_db
def test_units_the_early_read_admitted_for_another_cart_are_given_back(redis_url):
    # given a buyer whose early read admitted one unit of a flash deal (counted in the gate)
    _product, deal, buyer = a_buyer_of_a_live_deal(per_buyer_limit=3)
    token = Token.objects.create(user=buyer).key
    early = admission_early.flash_early(token=token, idempotency_key="k", admit=True)
    assert early.admission is not None and cache.get(admission._deal_key(deal.pk)) == 1

    # when the cart changes before the checkout (two units) and the checkout gets that admission
    buyer.cart.items.update(quantity=2)
    checkout_submit(buyer=buyer, idempotency_key="k", gated_deals=early.gated, admission=early.admission)

    # then the unit admitted for the old cart went back and the gate counts the two placed
    assert OrderLine.objects.get(order__buyer=buyer).quantity == 2
    assert cache.get(admission._deal_key(deal.pk)) == 2
    assert cache.get(admission._buyer_key(deal.pk, buyer.pk)) == 2
