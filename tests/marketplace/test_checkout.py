"""Checkout: cart → one order per shop in one transaction, with price snapshots, stock, flash
units, per-buyer limits and vouchers taken all-or-nothing; Idempotency-Key replays (sequential;
the concurrent cases are in test_orders_concurrency.py); the API and the page."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.errors import ApplicationError
from marketplace.models import CartItem, CheckoutRequest, Deal, DealPurchase, Order, OrderStatus, Product
from marketplace.services.checkout import CheckoutRefusalReplayed, checkout_submit, order_place
from tests.community.factories import UserFactory
from tests.marketplace.factories import ShopFactory, fill_cart, make_live_deal, make_product, make_voucher_claim

pytestmark = pytest.mark.django_db


def test_checkout_places_one_order_per_shop_with_snapshots(user, settings):
    # given a cart with a deal product from one shop and two products from another
    settings.ORDER_PAYMENT_TIMEOUT_MINUTES = 15
    pearls = make_product(title="Pearls", price=Decimal("200.00"), stock=10)
    deal = make_live_deal(pearls, percent_off=25, flash_quantity=5, per_buyer_limit=2)
    tea_shop = ShopFactory()
    tea = make_product(shop=tea_shop, title="Tea", price=Decimal("30.00"), stock=10)
    cups = make_product(shop=tea_shop, title="Cups", price=Decimal("12.50"), stock=10)
    fill_cart(user, (pearls, 2), (tea, 1), (cups, 4))

    # when the buyer checks out
    before = timezone.now()
    result = checkout_submit(buyer=user)

    # then there is one order per shop, awaiting payment, with snapshots at the deal price
    assert not result.replayed
    orders = {o.shop_id: o for o in Order.objects.prefetch_related("lines")}
    assert set(orders) == {pearls.shop_id, tea_shop.pk}
    pearl_order = orders[pearls.shop_id]
    line = pearl_order.lines.get()
    assert (line.title, line.unit_price, line.list_price, line.deal_id, line.quantity) == (
        "Pearls", Decimal("150.00"), Decimal("200.00"), deal.pk, 2
    )  # fmt: skip
    assert pearl_order.total == Decimal("300.00")
    assert orders[tea_shop.pk].total == Decimal("80.00")
    assert all(o.status == OrderStatus.PENDING_PAYMENT for o in orders.values())
    assert before + timedelta(minutes=15) <= pearl_order.expires_at <= timezone.now() + timedelta(minutes=15)
    # and stock, flash units and the buyer's deal units are taken; the cart is empty
    assert dict(Product.objects.values_list("title", "stock")) == {"Pearls": 8, "Tea": 9, "Cups": 6}
    assert Deal.objects.get().flash_sold == 2
    assert DealPurchase.objects.get(buyer=user).quantity == 2
    assert not CartItem.objects.exists()
    # and the answer is the orders placed, each with the lines it placed
    assert sorted(result.order_ids) == sorted(o.pk for o in orders.values())
    assert {o.pk: [line.quantity for line in o.lines_placed] for o in result.orders} == {
        o.pk: sorted(line.quantity for line in o.lines.all()) for o in orders.values()
    }


def test_a_sold_out_product_fails_the_whole_checkout_and_writes_nothing(user):
    plenty = make_product(title="Plenty", stock=10)
    last = make_product(title="Last one", stock=1)
    fill_cart(user, (plenty, 2), (last, 2))

    with pytest.raises(ApplicationError) as info:
        checkout_submit(buyer=user)

    refused = info.value
    assert (refused.status, refused.code) == (409, "quantity_unavailable")
    assert refused.message == "Only 1 of “Last one” left."
    assert refused.extra == {"product": last.pk, "available": 1}
    assert not Order.objects.exists()
    assert Product.objects.get(pk=plenty.pk).stock == 10
    assert CartItem.objects.count() == 2


def test_sold_out_is_a_409_naming_the_product(user):
    product = make_product(title="Jade ring", stock=0)

    with pytest.raises(ApplicationError) as info:
        order_place(buyer=user, items=[(product.pk, 1)])

    assert (info.value.status, info.value.code, info.value.message) == (409, "sold_out", "“Jade ring” is sold out.")


def test_an_exhausted_flash_deal_is_sold_out_during_the_sale_though_stock_remains(user):
    product = make_product(title="Pearls", stock=100)
    make_live_deal(product, flash_quantity=3, flash_sold=3)

    with pytest.raises(ApplicationError) as info:
        order_place(buyer=user, items=[(product.pk, 1)])

    assert (info.value.code, info.value.message) == ("sold_out", "“Pearls” is sold out in this sale.")
    assert Product.objects.get(pk=product.pk).stock == 100


def test_the_per_buyer_limit_holds_across_orders(user):
    product = make_product(title="Pearls", stock=100)
    make_live_deal(product, per_buyer_limit=2)
    order_place(buyer=user, items=[(product.pk, 2)])

    with pytest.raises(ApplicationError) as info:
        order_place(buyer=user, items=[(product.pk, 1)])

    assert info.value.code == "limit_reached"
    assert info.value.message == "You can buy at most 2 of “Pearls” in this sale (you already have 2)."
    assert Product.objects.get(pk=product.pk).stock == 98


def test_an_empty_cart_and_own_products_are_refused(user):
    with pytest.raises(ApplicationError) as empty:
        checkout_submit(buyer=user)
    assert (empty.value.status, empty.value.code) == (400, "cart_empty")
    mine = make_product(shop=ShopFactory(owner=user))
    with pytest.raises(ApplicationError) as info:
        order_place(buyer=user, items=[(mine.pk, 1)])
    assert info.value.code == "own_shop"


# --- cost -----------------------------------------------------------------------------------


@pytest.mark.parametrize("shops", [1, 3])
def test_checkout_queries_do_not_grow_with_the_number_of_shops(user, django_assert_num_queries, shops):
    # given three products (one in a flash deal) from one shop or from three
    shop_list = [ShopFactory() for _ in range(shops)]
    products = [make_product(shop=shop_list[i % shops], stock=10) for i in range(3)]
    make_live_deal(products[0], flash_quantity=5, per_buyer_limit=2)
    fill_cart(user, *((p, 1) for p in products))

    # when the buyer checks out with an Idempotency-Key, then the statements are the same: the
    # key (fingerprint, no lookup, one insert that also marks it answered: no update, no
    # savepoint), 1 savepoint and its release (the transaction: outside a test BEGIN/COMMIT; a
    # refusal rolls it all back and records itself apart, so no savepoint inside), the cart
    # (locked and emptied in one statement), the delivery address,
    # products with prices and their deals' limits, the buyer's deal units (1 upsert per deal),
    # all orders in one INSERT and all lines in one (one shop's order and its lines in one statement
    # on PostgreSQL), then flash units (1 per deal) and stock (1 per product; the last deal's and
    # the first product's in one statement on PostgreSQL) — never a statement per shop; before
    # all that the admission gate reads the cart's live deals with their counts (1). On
    # PostgreSQL these statements travel together (core.queries.Batch): the key, the cart, the
    # address and the products in one query, then the units, the orders (and lines) and the hot
    # rows in another (the lines of several shops' orders in a third, with the hot rows: they
    # need the orders' ids)
    postgresql = connection.vendor == "postgresql"
    with django_assert_num_queries((6 + (shops > 1)) if postgresql else 15):
        result = checkout_submit(buyer=user, idempotency_key="k")
    assert len(result.orders) == Order.objects.count() == shops


def test_a_flash_deal_seen_sold_out_is_refused_before_anything_is_written(user):
    # given a flash deal whose last unit has gone
    product = make_product(title="Pearls", stock=100)
    make_live_deal(product, flash_quantity=3, flash_sold=3)

    # when a buyer tries to place an order
    with CaptureQueriesContext(connection) as queries, pytest.raises(ApplicationError) as info:
        order_place(buyer=user, items=[(product.pk, 1)])

    # then it is refused from what was read, without an INSERT, UPDATE or DELETE
    assert info.value.code == "sold_out"
    writes = [q["sql"] for q in queries if q["sql"].split()[0] in {"INSERT", "UPDATE", "DELETE"}]
    assert writes == []


def test_the_last_deal_and_the_first_products_stock_are_taken_in_one_statement_deal_first(user):
    # given a flash deal with units left on a product whose stock is gone, and another with both
    from django.db import transaction

    from core.queries import Batch
    from marketplace.services.checkout import _take_flash_units

    short = make_product(title="Short", stock=0)
    short_deal = make_live_deal(short, flash_quantity=5)
    full = make_product(title="Full", stock=5)
    full_deal = make_live_deal(full, flash_quantity=1, flash_sold=1)

    # when the deal's units and the product's stock are taken together, in a transaction
    with transaction.atomic():
        with pytest.raises(ApplicationError) as stock_refused:
            _take_flash_units(deal=short_deal, product=short, quantity=1, then_stock=(short, 1), batch=Batch())()
        with pytest.raises(ApplicationError) as flash_refused:
            _take_flash_units(deal=full_deal, product=full, quantity=1, then_stock=(full, 1), batch=Batch())()
        # then a refused flash cap leaves the stock untaken (the stock's UPDATE waits on it)
        assert Product.objects.get(pk=full.pk).stock == 5
        transaction.set_rollback(True)

    # and each refusal names its own product with what is left
    assert (stock_refused.value.code, stock_refused.value.extra) == ("sold_out", {"product": short.pk, "available": 0})
    assert stock_refused.value.message == "“Short” is sold out."
    assert (flash_refused.value.code, flash_refused.value.extra) == ("sold_out", {"product": full.pk, "available": 0})
    assert Deal.objects.get(pk=short_deal.pk).flash_sold == 0


def _refusal(take, *, commits: bool) -> ApplicationError:
    """The refusal of the statement(s) ``take(batch=..., commits=...)`` queues (its check), in a
    transaction of its own; with ``commits`` the batch ends with the COMMIT, so they refuse by
    failing (core.queries.Batch.refusing)."""
    from django.db import transaction

    from core.queries import Batch

    with pytest.raises(ApplicationError) as refused:
        with transaction.atomic():
            batch = Batch()
            check = take(batch=batch, commits=commits)
            if commits:
                batch.commit()
            check()
            batch.send()
    return refused.value


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("case", ["flash_then_stock", "stock_after_flash", "flash", "stock", "limit", "voucher"])
def test_a_refusal_sent_with_the_commit_is_the_refusal_checked_after_the_statement(postgres, case):
    # given a statement checkout queues that its row refuses (a sale's changes between checkout's
    # read and its writes: a race)
    from functools import partial

    from marketplace.services import checkout

    buyer = UserFactory()
    product = make_product(title="Jade", stock=0 if case in {"stock_after_flash", "stock"} else 5)
    deal = make_live_deal(product, flash_quantity=2, flash_sold=1 if case == "stock_after_flash" else 2)
    take = {
        "flash_then_stock": partial(checkout._take_flash_units, then_stock=(product, 1)),
        "stock_after_flash": partial(checkout._take_flash_units, then_stock=(product, 1)),
        "flash": checkout._take_flash_units,
        "stock": checkout._take_stock,
    }.get(case)
    if take is not None:
        take = partial(take, product=product, quantity=1)
        if case != "stock":
            take = partial(take, deal=deal)
    elif case == "limit":
        limited = Deal(pk=deal.pk, per_buyer_limit=1)
        DealPurchase.objects.create(deal=deal, buyer=buyer, quantity=1)
        take = partial(checkout._take_buyer_units, deal=limited, product=product, buyer=buyer, quantity=1)
    else:
        claim = make_voucher_claim(buyer, product.shop, used_at=timezone.now())
        take = partial(checkout._use_claim, claim=claim, now=timezone.now())

    # when it is sent with the COMMIT, and when it is checked after it ran
    with_commit = _refusal(take, commits=True)
    checked = _refusal(take, commits=False)

    # then both refuse alike, naming the same product and what is left, and nothing was written
    assert (with_commit.status, with_commit.code, with_commit.message, with_commit.extra) == (
        checked.status,
        checked.code,
        checked.message,
        checked.extra,
    )
    assert with_commit.status in {403, 409}
    assert Product.objects.get(pk=product.pk).stock == product.stock
    assert Deal.objects.get(pk=deal.pk).flash_sold == deal.flash_sold
    assert DealPurchase.objects.filter(buyer=buyer).count() == (1 if case == "limit" else 0)


# --- vouchers -------------------------------------------------------------------------------


def test_a_voucher_applies_when_the_shop_subtotal_reaches_the_minimum_spend(user):
    product = make_product(price=Decimal("60.00"))
    chosen = make_voucher_claim(user, product.shop, min_spend="100.00", discount="20.00")
    fill_cart(user, (product, 2))

    result = checkout_submit(buyer=user, voucher_claim_ids=[chosen.pk])

    order = Order.objects.get()
    assert result.order_ids == [order.pk]
    assert (order.subtotal, order.discount, order.total) == (Decimal("120.00"), Decimal("20.00"), Decimal("100.00"))
    assert order.voucher_claim_id == chosen.pk
    chosen.refresh_from_db()
    assert chosen.used_at is not None


def test_a_voucher_below_its_minimum_spend_is_refused_and_nothing_is_written(user):
    product = make_product(title="Tea", price=Decimal("60.00"))
    chosen = make_voucher_claim(user, product.shop, min_spend="100.00", discount="20.00")
    fill_cart(user, (product, 1))

    with pytest.raises(ApplicationError) as info:
        checkout_submit(buyer=user, voucher_claim_ids=[chosen.pk])

    assert (info.value.status, info.value.code) == (400, "voucher_min_spend")
    assert "at least 100.00" in info.value.message
    assert not Order.objects.exists()
    assert Product.objects.get(pk=product.pk).stock == 10


@pytest.mark.parametrize(
    "case,code",
    [
        ("someone_elses", "invalid_voucher"),
        ("used", "voucher_used"),
        ("expired", "voucher_not_valid"),
        ("other_shop", "voucher_wrong_shop"),
        ("two_for_one_shop", "voucher_one_per_shop"),
    ],
)
def test_unusable_vouchers_are_refused(user, case, code):
    product = make_product(price=Decimal("500.00"))
    fill_cart(user, (product, 1))
    now = timezone.now()
    claims = {
        "someone_elses": lambda: [make_voucher_claim(UserFactory(), product.shop)],
        "used": lambda: [make_voucher_claim(user, product.shop, used_at=now)],
        "expired": lambda: [
            make_voucher_claim(user, product.shop, valid_from=now - timedelta(days=2), valid_until=now)
        ],
        "other_shop": lambda: [make_voucher_claim(user, ShopFactory())],
        "two_for_one_shop": lambda: [
            make_voucher_claim(user, product.shop),
            make_voucher_claim(user, product.shop, min_spend="50.00"),
        ],
    }[case]()

    with pytest.raises(ApplicationError) as info:
        checkout_submit(buyer=user, voucher_claim_ids=[c.pk for c in claims])

    assert info.value.code == code
    assert not Order.objects.exists()


# --- idempotency (sequential) ---------------------------------------------------------------


def test_a_retry_with_the_same_key_replays_the_first_answer(user):
    product = make_product(stock=10)
    fill_cart(user, (product, 2))

    first = checkout_submit(buyer=user, idempotency_key="k-1")
    again = checkout_submit(buyer=user, idempotency_key="k-1")

    assert again.order_ids == first.order_ids
    assert [(line.product_id, line.quantity, line.unit_price) for line in again.orders[0].lines_placed] == [
        (line.product_id, line.quantity, line.unit_price) for line in first.orders[0].lines_placed
    ]
    assert again.replayed and not first.replayed
    assert Order.objects.count() == 1
    assert Product.objects.get(pk=product.pk).stock == 8
    record = CheckoutRequest.objects.get()
    assert record.refusal is None and record.answered_at is not None
    assert list(record.orders.values_list("pk", flat=True)) == first.order_ids


def test_a_refusal_is_replayed_too(user):
    product = make_product(title="Rare", stock=0)
    fill_cart(user, (product, 1))
    with pytest.raises(ApplicationError) as first:
        checkout_submit(buyer=user, idempotency_key="k-1")
    Product.objects.filter(pk=product.pk).update(stock=5)  # restocked meanwhile

    with pytest.raises(CheckoutRefusalReplayed) as again:
        checkout_submit(buyer=user, idempotency_key="k-1")

    assert not isinstance(first.value, CheckoutRefusalReplayed)
    assert (again.value.status, again.value.code, again.value.message, again.value.extra) == (
        first.value.status, first.value.code, first.value.message, first.value.extra
    ) == (409, "sold_out", "“Rare” is sold out.", {"product": product.pk, "available": 0})  # fmt: skip
    assert not Order.objects.exists()


def test_the_same_key_with_a_different_request_is_refused(user):
    product, other = make_product(), make_product()
    fill_cart(user, (product, 1))
    checkout_submit(buyer=user, idempotency_key="k-1")
    fill_cart(user, (other, 1))

    with pytest.raises(ApplicationError) as info:
        checkout_submit(buyer=user, idempotency_key="k-1")
    assert (info.value.status, info.value.code) == (422, "idempotency_key_reused")

    with pytest.raises(ApplicationError):
        checkout_submit(
            buyer=user, idempotency_key="k-1", voucher_claim_ids=[make_voucher_claim(user, product.shop).pk]
        )
    assert Order.objects.count() == 1


def test_keys_are_per_user_and_no_key_means_a_new_checkout(user):
    product = make_product(stock=10)
    other = UserFactory()
    fill_cart(user, (product, 1))
    fill_cart(other, (product, 1))

    assert not checkout_submit(buyer=user, idempotency_key="same").replayed
    assert not checkout_submit(buyer=other, idempotency_key="same").replayed
    fill_cart(user, (product, 1))
    assert not checkout_submit(buyer=user).replayed
    fill_cart(user, (product, 1))
    assert not checkout_submit(buyer=user).replayed

    assert Order.objects.count() == 4


# --- API and page ---------------------------------------------------------------------------


def test_checkout_api_replays_with_the_same_status_and_body(api_client, user):
    product = make_product(stock=5, price=Decimal("10.00"))
    fill_cart(user, (product, 2))
    api_client.force_authenticate(user)

    first = api_client.post("/api/v1/checkout/", {}, format="json", HTTP_IDEMPOTENCY_KEY="abc")
    again = api_client.post("/api/v1/checkout/", {}, format="json", HTTP_IDEMPOTENCY_KEY="abc")

    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again["Idempotent-Replayed"] == "true"
    assert first.json()["orders"][0]["total"] == "20.00"
    assert Order.objects.count() == 1


def test_checkout_api_sold_out_and_key_reuse_errors(api_client, user):
    gone = make_product(title="Jade ring", stock=0)
    fill_cart(user, (gone, 1))
    api_client.force_authenticate(user)

    r = api_client.post("/api/v1/checkout/", {"vouchers": []}, format="json", HTTP_IDEMPOTENCY_KEY="x")
    assert r.status_code == 409
    assert r.json() == {
        "error": {"code": "sold_out", "message": "“Jade ring” is sold out.", "product": gone.pk, "available": 0}
    }
    assert "Idempotent-Replayed" not in r

    # a retry with the key answers the same refusal, marked as a replay
    again = api_client.post("/api/v1/checkout/", {"vouchers": []}, format="json", HTTP_IDEMPOTENCY_KEY="x")
    assert (again.status_code, again.json(), again["Idempotent-Replayed"]) == (409, r.json(), "true")

    r = api_client.post("/api/v1/checkout/", {"vouchers": [123]}, format="json", HTTP_IDEMPOTENCY_KEY="x")
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "idempotency_key_reused"


def test_checkout_api_needs_a_signed_in_user(api_client):
    assert api_client.post("/api/v1/checkout/", {}, format="json").status_code == 401


def test_checkout_page_places_orders_once_even_if_submitted_twice(client, user):
    product = make_product(title="Tea", price=Decimal("60.00"), stock=5)
    chosen = make_voucher_claim(user, product.shop, min_spend="100.00", discount="20.00")
    fill_cart(user, (product, 2))
    client.force_login(user)

    page = client.get("/checkout/").content.decode()
    assert 'name="idempotency_key"' in page
    assert f"Voucher for {product.shop.name}" in page

    data = {"idempotency_key": "form-key-1", f"voucher_{product.shop_id}": str(chosen.pk)}
    first = client.post("/checkout/", data)
    second = client.post("/checkout/", data)

    order = Order.objects.get()
    assert first["Location"] == second["Location"] == f"/checkout/pay/?orders={order.pk}"
    assert order.total == Decimal("100.00")
    payment = client.get(first["Location"]).content.decode()
    assert "Simulated payment (demo)" in payment


def test_checkout_page_shows_a_sold_out_refusal(client, user):
    product = make_product(title="Jade ring", stock=1)
    fill_cart(user, (product, 1))
    Product.objects.filter(pk=product.pk).update(stock=0)
    client.force_login(user)

    r = client.post("/checkout/", {"idempotency_key": "k"}, follow=True)

    assert "“Jade ring” is sold out." in r.content.decode()
    assert not Order.objects.exists()


def test_idempotency_keys_are_forgotten_after_their_window_and_orders_stay(user, settings):
    # given a 12-hour key window, a checkout made with a key 13 hours ago, and one made just now
    settings.IDEMPOTENCY_KEY_HOURS = 12
    product = make_product(stock=10)
    fill_cart(user, (product, 1))
    checkout_submit(buyer=user, idempotency_key="old")
    CheckoutRequest.objects.filter(key="old").update(created_at=timezone.now() - timedelta(hours=13))
    fill_cart(user, (product, 1))
    checkout_submit(buyer=user, idempotency_key="new")

    # when old records are pruned (twice: the job is idempotent)
    from marketplace.tasks.orders import checkout_requests_prune

    assert checkout_requests_prune() == 1
    assert checkout_requests_prune() == 0

    # then only the recent key is remembered, both orders remain, and the old key is usable again
    assert list(CheckoutRequest.objects.values_list("key", flat=True)) == ["new"]
    assert Order.objects.count() == 2
    fill_cart(user, (product, 1))
    assert checkout_submit(buyer=user, idempotency_key="old").replayed is False
    assert Order.objects.count() == 3


def test_of_two_live_deals_the_cheaper_prices_the_order_and_its_limit_and_units_apply(user):
    # given a product in two live sales: 10% off with a limit of 5, and 30% off with a limit of 1
    # and 2 flash units left
    product = make_product(title="Jade", price=Decimal("100.00"), stock=50)
    make_live_deal(product, percent_off=10, per_buyer_limit=5)
    cheaper = make_live_deal(product, percent_off=30, per_buyer_limit=1, flash_quantity=3, flash_sold=1)

    # when the buyer orders 2, then 1
    with pytest.raises(ApplicationError) as info:
        order_place(buyer=user, items=[(product.pk, 2)])
    (order,) = order_place(buyer=user, items=[(product.pk, 1)])

    # then the cheaper deal decides: its limit refuses 2, and 1 is placed at its price, from its units
    assert (info.value.code, info.value.extra["limit"]) == ("limit_reached", 1)
    line = order.lines.get()
    assert (line.deal_id, line.unit_price, order.total) == (cheaper.pk, Decimal("70.00"), Decimal("70.00"))
    assert Deal.objects.get(pk=cheaper.pk).flash_sold == 2
    # and with its last flash unit gone, the product is sold out for the sale
    other = UserFactory()
    DealPurchase.objects.filter(deal=cheaper).delete()
    Deal.objects.filter(pk=cheaper.pk).update(flash_sold=3)
    with pytest.raises(ApplicationError) as gone:
        order_place(buyer=other, items=[(product.pk, 1)])
    assert (gone.value.code, gone.value.extra["available"]) == ("sold_out", 0)


@pytest.mark.parametrize("key", [None, "k"])
def test_a_cart_read_before_the_transaction_does_not_decide_what_is_placed(user, key):
    # given a cart read before the checkout's transaction (as the API's early read hands it
    # over), then changed: one product swapped for another, the other's quantity raised
    shop = ShopFactory()
    kept = make_product(shop=shop, title="Kept", price=Decimal("10.00"), stock=10)
    dropped = make_product(shop=shop, title="Dropped", price=Decimal("99.00"), stock=10)
    added = make_product(shop=shop, title="Added", price=Decimal("7.00"), stock=10)
    fill_cart(user, (kept, 3), (added, 1))
    read_before = [(kept.pk, 1), (dropped.pk, 1)]

    # when the buyer checks out with that earlier read
    result = checkout_submit(buyer=user, idempotency_key=key, cart_items=read_before)

    # then the cart emptied in the transaction is what is placed, at its products' prices
    (order,) = result.orders
    lines = sorted((line.product_id, line.quantity, line.unit_price) for line in order.lines_placed)
    assert lines == [(kept.pk, 3, Decimal("10.00")), (added.pk, 1, Decimal("7.00"))]
    assert order.total == Decimal("37.00")
    assert Product.objects.get(pk=dropped.pk).stock == 10
    assert not CartItem.objects.filter(cart__user=user).exists()


def test_a_key_with_a_record_puts_back_the_cart_its_statements_emptied(user):
    # given a checkout placed under a key, and the cart filled again
    product = make_product(stock=10)
    fill_cart(user, (product, 1))
    first = checkout_submit(buyer=user, idempotency_key="k")
    fill_cart(user, (product, 2))

    # when the same key is sent again with the new cart (its record is found by the INSERT that
    # travels with the cart's emptying)
    with pytest.raises(ApplicationError) as info:
        checkout_submit(buyer=user, idempotency_key="k")

    # then it is refused as a reused key, and the new cart is still there
    assert info.value.code == "idempotency_key_reused"
    assert list(CartItem.objects.filter(cart__user=user).values_list("product_id", "quantity")) == [(product.pk, 2)]
    assert Order.objects.count() == len(first.orders) == 1


# --- the receipt ----------------------------------------------------------------------------


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "UTC"])
def test_the_receipt_is_what_its_serializer_writes(user, zone):
    # given a checkout of two shops' products, one at a deal price, one shop's with a voucher,
    # delivered to an address without a postcode
    from marketplace.api.orders import ReceiptSerializer, receipt
    from marketplace.models import Address

    pearls = make_product(title="Pearls “A”", price=Decimal("159.00"), stock=10)
    make_live_deal(pearls, percent_off=30, flash_quantity=5)
    tea = make_product(shop=ShopFactory(), title="Tea", price=Decimal("120.00"), stock=10)
    claim = make_voucher_claim(user, tea.shop, min_spend="100.00", discount="20.00")
    fill_cart(user, (pearls, 3), (tea, 1))
    Address.objects.filter(user=user).update(postcode="")

    # when the buyer checks out, and retries with the same key (a replay, read back)
    placed = checkout_submit(buyer=user, voucher_claim_ids=[claim.pk], idempotency_key="k")
    replayed = checkout_submit(buyer=user, voucher_claim_ids=[claim.pk], idempotency_key="k")
    # and an amount as SQLite reads a computed price back (more places than the fen)
    odd = checkout_submit(buyer=user, voucher_claim_ids=[claim.pk], idempotency_key="k")
    odd.orders[0].subtotal = Decimal("333.900000000000")

    # then the receipt written directly is the serializer's, in any time zone
    with timezone.override(zone):
        for result in (placed, replayed, odd):
            assert receipt(result) == ReceiptSerializer().to_representation(result)
    written = receipt(placed)
    assert [order["shipping_address"]["postcode"] for order in written["orders"]] == ["", ""]
    assert {order["discount"] for order in written["orders"]} == {"0.00", "20.00"}
    assert receipt(odd)["orders"][0]["subtotal"] == "333.90"
    assert replayed.replayed and receipt(replayed) == written
