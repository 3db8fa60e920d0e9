"""A queryset compiled once per process (core/queries.py) answers what the queryset answers."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import BooleanField, Case, F, FloatField, OuterRef, Subquery, Value, When
from django.utils import timezone

from core.queries import CompiledQuery, execute_prepared, insert_row_with_rows, insert_rows
from marketplace.models import Product, ProductImage
from tests.marketplace.factories import ProductFactory

pytestmark = pytest.mark.django_db

SENTINELS = {
    "shop_id": (-9_100_001, -9_100_002),
    "since": (datetime(1901, 1, 1, tzinfo=UTC), datetime(1902, 1, 1, tzinfo=UTC)),
}


def products_of(*, shop_id, since):
    first = ProductImage.objects.filter(product=OuterRef("pk")).order_by("position")
    return (
        Product.objects.filter(shop_id=shop_id, created_at__gte=since)
        .select_related("shop")
        .annotate(doubled=F("price") * 2, first_image_id=Subquery(first.values("id")[:1]))
        .order_by("id")
    )


def test_runs_the_querysets_sql_once_compiled_with_new_values(django_assert_num_queries):
    # given two shops' products and a query compiled with sentinels
    mine = [ProductFactory(price=Decimal("10.00")), ProductFactory(price=Decimal("2.50"))]
    ProductFactory(shop=mine[0].shop)
    other = ProductFactory()
    builds = []

    def build(**values):
        builds.append(values)
        return products_of(**values)

    query = CompiledQuery(build, **SENTINELS)
    since = timezone.now() - timedelta(days=1)

    # when it runs for each shop, then it answers what the queryset answers, in one query each
    for product in (mine[0], other):
        with django_assert_num_queries(1):
            got = query.run(shop_id=product.shop_id, since=since)
        want = list(products_of(shop_id=product.shop_id, since=since))
        assert [p.pk for p in got] == [p.pk for p in want]
        assert [(p.doubled, p.shop.name, p.title) for p in got] == [(p.doubled, p.shop.name, p.title) for p in want]

    # and it was built only to compile (once, then once per sentinel), never per run; on SQLite,
    # which passes datetimes as text, the sentinel cannot be found again: built per run instead
    if connection.vendor == "postgresql":
        assert len(builds) == 1 + len(SENTINELS)
    else:
        assert len(builds) == 1 + len(SENTINELS) + 2
    # and a time after every product finds none
    assert query.run(shop_id=mine[0].shop_id, since=timezone.now() + timedelta(days=1)) == []


def test_a_query_whose_sql_depends_on_more_than_the_values_is_built_each_time():
    # given a build that reads the clock itself (its SQL changes by more than the sentinels)
    product = ProductFactory()

    def build(*, shop_id, since):
        return products_of(shop_id=shop_id, since=since).filter(created_at__lte=timezone.now())

    query = CompiledQuery(build, **SENTINELS)

    # when it runs, then it is built per call and still right
    assert [p.pk for p in query.run(shop_id=product.shop_id, since=product.created_at)] == [product.pk]
    assert query._compiled["default"] is None


def test_values_rows_and_a_prepared_statement(django_assert_num_queries, no_prepared_statements):
    # given products of a shop and a values query compiled once and prepared on PostgreSQL
    from django.db import connection

    product = ProductFactory(price=Decimal("10.00"))
    ProductFactory()

    def build(*, shop_id, since):
        return products_of(shop_id=shop_id, since=since).values_list("pk", "doubled")

    query = CompiledQuery(build, prepare="test_values_rows", **SENTINELS)
    since = timezone.now() - timedelta(days=1)

    # when it runs twice, then each answer is the queryset's, one statement each (on PostgreSQL
    # the PREPARE is connection setup, outside the query log, so the first run counts the same)
    want = list(build(shop_id=product.shop_id, since=since))
    for _ in range(2):
        with django_assert_num_queries(1) as queries:
            got = query.rows(shop_id=product.shop_id, since=since)
        assert got == want == [(product.pk, Decimal("20.00"))]
    if connection.vendor == "postgresql":
        # only the values are sent (shop id, since): the compiled constants are in the statement
        executed = queries.captured_queries[0]["sql"]
        assert executed.startswith("EXECUTE test_values_rows (")
        assert len(executed.removeprefix("EXECUTE test_values_rows (").rstrip(")").split(", ")) == 2
    assert query.rows(shop_id=-1, since=since) == []


def test_a_prepared_case_of_values_keeps_its_type(no_prepared_statements):
    # given a query whose annotation is a CASE of two values (as the sold-out rule's sold_out):
    # prepared without types, PostgreSQL would read its parameters as text ('false' is truthy)
    product = ProductFactory(stock=0)
    ProductFactory(shop=product.shop, stock=3)

    def build(*, shop_id, since):
        return products_of(shop_id=shop_id, since=since).annotate(
            empty=Case(When(stock__lte=0, then=Value(True)), default=Value(False), output_field=BooleanField()),
            share=Case(When(stock__lte=0, then=Value(0.5)), default=Value(1.5), output_field=FloatField()),
        )

    query = CompiledQuery(build, prepare="test_case_of_values", **SENTINELS)

    # when it runs (prepared on PostgreSQL), then the values come back as booleans and floats
    for _ in range(2):
        got = query.run(shop_id=product.shop_id, since=product.created_at - timedelta(seconds=1))
        assert [(p.empty, p.share) for p in got] == [(True, 0.5), (False, 1.5)]


def test_a_statement_run_with_its_generic_plan(django_assert_num_queries, no_prepared_statements):
    # given a prepared query asked to use its generic plan from the first call (PostgreSQL would
    # otherwise plan it per call while the custom plans look cheaper)
    products = [ProductFactory(price=Decimal("10.00")), ProductFactory(price=Decimal("4.00"))]

    def build(*, shop_id, since):
        return products_of(shop_id=shop_id, since=since)

    query = CompiledQuery(build, prepare="test_generic_plan", generic=True, **SENTINELS)
    since = timezone.now() - timedelta(days=1)

    # when it runs, then each answer is the queryset's, one statement each, planned once (no
    # custom plan), and the connection's plan cache mode is back to its default afterwards
    for product in products * 2:
        with django_assert_num_queries(1):
            got = query.run(shop_id=product.shop_id, since=since)
        assert [(p.pk, p.doubled, p.shop.name) for p in got] == [(product.pk, product.price * 2, product.shop.name)]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW plan_cache_mode")
            assert cursor.fetchone()[0] == "auto"
            cursor.execute(
                "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = 'test_generic_plan'"
            )
            assert cursor.fetchone() == (4, 0)


def test_insert_rows_writes_what_bulk_create_writes_in_one_statement(django_assert_num_queries):
    # given orders of two shops (choices, decimals, JSON, foreign keys, an auto_now_add time) and
    # the same orders again
    from marketplace.models import Order, OrderStatus
    from tests.community.factories import UserFactory
    from tests.marketplace.factories import ShopFactory

    buyer, shops = UserFactory(), [ShopFactory(), ShopFactory()]
    expires = timezone.now() + timedelta(minutes=30)

    def orders():
        return [
            Order(
                buyer=buyer,
                shop=shop,
                subtotal=Decimal(f"{i + 1}0.50"),
                total=Decimal(f"{i + 1}0.50"),
                shipping_address={"recipient": "王小明", "street": "南京东路 1 号"} if i else None,
                expires_at=expires,
            )
            for i, shop in enumerate(shops)
        ]

    # when one set is inserted by insert_rows (in one statement) and the other by bulk_create
    mine, theirs = orders(), orders()
    with django_assert_num_queries(1):
        insert_rows(mine)
    Order.objects.bulk_create(theirs)

    # then both have their ids, in order, are saved instances, and every column is the same
    assert all(order.pk for order in mine) and mine[0].pk < mine[1].pk
    assert not any(order._state.adding for order in mine)
    columns = [f.attname for f in Order._meta.concrete_fields if f.attname not in ("id", "created_at")]
    rows = {o["id"]: o for o in Order.objects.values(*columns, "id", "created_at")}
    for a, b in zip(mine, theirs, strict=True):
        assert {c: rows[a.pk][c] for c in columns} == {c: rows[b.pk][c] for c in columns}
        assert rows[a.pk]["created_at"] == a.created_at  # auto_now_add set on the instance, as saved
    assert rows[mine[0].pk]["status"] == OrderStatus.PENDING_PAYMENT
    assert rows[mine[0].pk]["shipping_address"] is None
    assert rows[mine[1].pk]["shipping_address"] == {"recipient": "王小明", "street": "南京东路 1 号"}


def test_an_order_and_its_lines_are_inserted_as_two_insert_rows_would(django_assert_num_queries):
    # given a new order with two new lines, and the same again
    from django.db import connection

    from marketplace.models import Order, OrderLine
    from tests.community.factories import UserFactory
    from tests.marketplace.factories import ShopFactory

    buyer, shop = UserFactory(), ShopFactory()
    products = [ProductFactory(shop=shop), ProductFactory(shop=shop)]

    def order_and_lines():
        order = Order(buyer=buyer, shop=shop, subtotal=Decimal("30.00"), total=Decimal("30.00"), shipping_address={})
        lines = [
            OrderLine(
                order=order,
                product=p,
                title=f"line {i}",
                unit_price=Decimal("10.00"),
                list_price=Decimal("20.00"),
                quantity=i + 1,
            )
            for i, p in enumerate(products)
        ]
        return order, lines

    # when one is inserted by insert_row_with_rows (one statement on PostgreSQL) and the other by
    # insert_rows twice
    (order, lines), (other, other_lines) = order_and_lines(), order_and_lines()
    with django_assert_num_queries(1 if connection.vendor == "postgresql" else 2):
        insert_row_with_rows(order, lines, link="order")
    insert_rows([other])
    for line in other_lines:
        line.order = other
    insert_rows(other_lines)

    # then the order and the lines have their ids, the lines point at the order, and every column
    # but the ids is the same
    assert order.pk and all(line.pk for line in lines) and lines[0].pk < lines[1].pk
    assert [line.order_id for line in lines] == [order.pk, order.pk] and lines[0].order is order
    assert not order._state.adding and not any(line._state.adding for line in lines)
    columns = [f.attname for f in OrderLine._meta.concrete_fields if f.attname not in ("id", "order_id")]
    mine = list(OrderLine.objects.filter(order=order).order_by("id").values(*columns))
    theirs = list(OrderLine.objects.filter(order=other).order_by("id").values(*columns))
    assert mine == theirs and len(mine) == 2
    assert Order.objects.get(pk=order.pk).total == Decimal("30.00")


def test_sql_written_by_hand_is_prepared_once_per_connection(postgres, no_prepared_statements):
    # given a statement of values only
    product = ProductFactory(stock=7)
    # (not checkout's own text: a statement is named once per process by its text)
    sql = "UPDATE marketplace_product SET stock = stock - %s WHERE stock >= %s AND id = %s"

    # when it runs three times, the last one refused by its WHERE clause
    counts = []
    with connection.cursor() as cursor:
        for quantity in (2, 5, 1):
            execute_prepared(cursor, name="stock_test", sql=sql, params=[quantity, quantity, product.pk])
            counts.append(cursor.rowcount)
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'jishi_stock_test_%%'")
        (prepared,) = cursor.fetchone()

    # then each answered as the statement itself, and it was prepared once
    assert counts == [1, 1, 0]
    assert Product.objects.get(pk=product.pk).stock == 0
    assert prepared == 1


# --- a batch's transaction: BEGIN and COMMIT travel with its statements (PostgreSQL) ---------

_TAKE = "UPDATE marketplace_product SET stock = stock - %s WHERE id = %s AND stock >= %s RETURNING stock"


def _stock(product) -> int:
    return Product.objects.values_list("stock", flat=True).get(pk=product.pk)


class _Refused(Exception):
    pass


@pytest.mark.django_db(transaction=True)
def test_a_transaction_of_two_batches_is_two_queries_with_its_begin_and_commit(postgres, pg_wire):
    # given a product with stock and a callback for the transaction's commit
    from django.db import transaction

    from core.queries import Batch, refuse_without_row

    product = ProductFactory(stock=5)
    committed = []
    pg_wire()

    # when a transaction takes units in two batches, the second ending with the COMMIT
    with transaction.atomic():
        transaction.on_commit(lambda: committed.append(_stock(product)))
        first = Batch()
        left = first.add(_TAKE, [2, product.pk, 2], lambda cursor: cursor.fetchone()[0])
        assert left.value() == 3
        second = Batch()
        second.refusing(refuse_without_row(_TAKE), [1, product.pk, 1], _Refused)
        second.commit()
        second.send()
        sent = pg_wire()
    after = pg_wire()

    # then the database was asked twice: the BEGIN with the first, the COMMIT with the last
    assert len(sent) == 2
    assert sent[0].startswith("BEGIN; ") and sent[1].endswith("; COMMIT")
    # and the block's end sent nothing: its commit's callback ran (its read alone, in autocommit)
    assert committed == [2] and len(after) == 1 and after[0].startswith("SELECT")
    assert _stock(product) == 2


@pytest.mark.django_db(transaction=True)
def test_a_refusal_sent_with_the_commit_rolls_back_the_transaction_then_raises(postgres, pg_wire):
    # given a product with 3 units, and a refusal that reads what is left when it is raised
    from django.db import connection, transaction

    from core.queries import Batch, refuse_without_row

    product = ProductFactory(stock=3)
    read_by_refusal = []
    pg_wire()

    def refusal():
        read_by_refusal.append(_stock(product))
        return _Refused("not enough")

    # when one batch takes 2 units, then 2 more (refused), with the COMMIT
    with pytest.raises(_Refused):
        with transaction.atomic():
            batch = Batch()
            batch.refusing(refuse_without_row(_TAKE), [2, product.pk, 2], _Refused)
            batch.refusing(refuse_without_row(_TAKE), [2, product.pk, 2], refusal)
            batch.commit()
            batch.send()

    # then nothing was taken: the transaction was rolled back before the refusal read (3 left)
    assert read_by_refusal == [3] and _stock(product) == 3
    # and the COMMIT did not run: the query failed at the refusal, then the batch rolled back
    sent = pg_wire()
    assert sent[0].startswith("BEGIN; ") and sent[0].endswith("; COMMIT") and sent[1] == "ROLLBACK"
    # and the connection is usable, not marked for a check
    assert not connection.errors_occurred


@pytest.mark.django_db(transaction=True)
def test_what_runs_after_the_commit_in_the_block_is_a_transaction_of_its_own(postgres):
    # given a product with stock
    from django.db import transaction

    from core.queries import Batch

    product = ProductFactory(stock=5)

    # when a batch commits a unit taken, then the block takes another and fails
    with pytest.raises(ZeroDivisionError):
        with transaction.atomic():
            batch = Batch()
            batch.add(_TAKE, [1, product.pk, 1], lambda cursor: None)
            batch.commit()
            batch.send()
            Product.objects.filter(pk=product.pk).update(stock=0)
            1 / 0  # noqa: B018

    # then the committed unit stays taken and the later write is rolled back with the block
    assert _stock(product) == 4


@pytest.mark.django_db(transaction=True)
def test_a_batch_begins_nothing_when_its_transaction_has_begun(postgres, pg_wire):
    # given a transaction whose first statement already ran
    from django.db import transaction

    from core.queries import Batch

    product = ProductFactory(stock=5)
    pg_wire()
    with transaction.atomic():
        _stock(product)

        # when a batch is sent in it
        batch = Batch()
        batch.add(_TAKE, [1, product.pk, 1], lambda cursor: None)
        batch.send()

    # then psycopg's BEGIN went with the first statement alone, the batch's query as it is, and
    # the block's end committed it
    sent = pg_wire()
    assert sent[0] == "BEGIN" and sent[2].startswith("UPDATE") and sent[-1] == "COMMIT"
    assert _stock(product) == 4


@pytest.mark.django_db
def test_only_the_outermost_block_of_a_transaction_may_commit_from_a_batch(postgres):
    # given a test's transaction: every block inside it is a savepoint
    from django.db import transaction

    from core.queries import Batch

    with transaction.atomic():
        batch = Batch()

        # then a batch may not end it, nor queue refusing statements
        assert not batch.can_commit()
        with pytest.raises(RuntimeError):
            batch.commit()
        with pytest.raises(RuntimeError):
            batch.refusing("SELECT %s", [1])
