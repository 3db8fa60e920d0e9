"""Querysets compiled once per process and run with new values (:class:`CompiledQuery`).

Building and compiling a queryset with many annotations (the effective-price subqueries, say)
costs Django more Python than PostgreSQL spends running it: 10–20 ms per request on the 2-core
machine for the cart's priced products. The SQL of such a queryset only changes with a few
values (the signed-in user's id, the clock), so it is compiled once per process and database
with *sentinel* values standing for them, and each request runs that SQL with its own values
and turns the rows into model instances exactly as Django's ``ModelIterable`` does
(``select_related`` included; no ``prefetch_related``). The queryset stays the one definition
of the rule; only its compilation moves out of the request.

It compiles once with every sentinel's first value and once more per sentinel with its second
value: the parameters that change are that sentinel's places. If anything else changes (the
SQL, another parameter), or a sentinel's value reaches the SQL changed by the database adapter
(SQLite passes datetimes as text), the query cannot be reused and is built on every call
instead: slower, never wrong. ``community.selectors.notifications.user_get_with_unread_count``
is the same idea written for one query.

``rows(**values)`` does the same for a ``values_list`` queryset (tuples, as the driver returns
them). With ``prepare="name"`` the SQL is also prepared on PostgreSQL once per connection
(``PREPARE``, then ``EXECUTE`` per call): a read with many subqueries can cost PostgreSQL more to
plan than to run (checkout's priced products: ~6.5 ms of planning, 1.6 ms of execution). The
compiled constants are written into the prepared statement as literals, so an ``EXECUTE`` sends
only the values (with its hundred parameters, the priced products' ``EXECUTE`` had the driver
parse the statement and dump every constant on each call: 1.0–1.6 → 0.4–0.6 ms of CPU). The
``PREPARE`` is connection setup, like the time zone: it runs on the driver's connection, outside
Django's query log, so a request counts the same statements on a new connection and an old one.
A prepared statement lives as long as its connection (a rolled-back transaction keeps it).
After five executions PostgreSQL may plan it once for all values (a generic plan), built from the
planner statistics of that moment: with fresh statistics that halved the cart's reads (cart lines
12 → 5.5 ms, its vouchers 3 → 1.7 ms on the bench catalogue), but with statistics from before a
bulk load (autovacuum off, no ``ANALYZE``) the vouchers' generic plan took ~500 ms. Production
relies on autovacuum; the benches ``ANALYZE`` after loading.

PostgreSQL keeps planning a statement per call while the generic plan's *estimate* is above the
custom plans' average, which a read by a list of ids can be for ever (``id = ANY($1)``: the
generic plan assumes ten ids, the product cards' first calls asked for two to five): the cards'
read spent ~2–3 ms planning for 0.5 ms of execution. ``generic=True`` runs such a statement
with its generic plan from the first call: ``SET plan_cache_mode = force_generic_plan``, the
``EXECUTE`` and ``RESET plan_cache_mode`` go as one query (one round trip, one statement in
Django's log; the ``SET`` is undone with the rest if the statement fails). For statements whose
generic plan is right whatever the values (it must read every id given, every match). Three
statements in one query need psycopg's client-side binding, Django's default (not the
``server_side_binding`` option).
"""

import hashlib
import re
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db import DatabaseError, connections
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators


class CompiledQuery:
    """``build(**values)`` returns a queryset of model instances; ``sentinels`` maps each value's
    name to two distinct sentinel values of its type that cannot occur otherwise in the query
    (e.g. negative ids, datetimes in 1901). ``run(**values)`` returns the list ``build(**values)``
    would, from SQL compiled once per process and database."""

    def __init__(
        self,
        build: Callable[..., QuerySet],
        *,
        prepare: str | None = None,
        generic: bool = False,
        **sentinels: tuple[Any, Any],
    ):
        self.build = build
        self.prepare = prepare
        self.generic = generic
        self.sentinels = sentinels
        self._compiled: dict[str, Any] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        """Forget the compiled SQL (e.g. when something the query reads at build time changed)."""
        self._compiled.clear()

    def _compile(self, alias: str):
        first = {name: pair[0] for name, pair in self.sentinels.items()}
        compiler = self.build(**first).query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        params = list(params)
        places: dict[str, list[int]] = {}
        for name, (value, other) in self.sentinels.items():
            other_sql, other_params = self.build(**{**first, name: other}).query.get_compiler(using=alias).as_sql()
            other_params = list(other_params)
            if other_sql != sql or len(other_params) != len(params):
                return None
            changed = [i for i, (a, b) in enumerate(zip(params, other_params, strict=True)) if a != b]
            if not changed or any(params[i] != value or other_params[i] != other for i in changed):
                return None
            places[name] = changed
        return sql, params, places, compiler

    def _compiled_for(self, using: str):
        if using not in self._compiled:
            with self._lock:
                if using not in self._compiled:
                    self._compiled[using] = self._compile(using)
        return self._compiled[using]

    def _fetch(self, using: str, values: dict):
        """(the compiler, the rows of the SQL compiled once run with ``values``), or None when
        the query cannot be reused."""
        compiled = self._compiled_for(using)
        if compiled is None:
            return None
        sql, params, places, compiler = compiled
        params = [*params]
        for name, indexes in places.items():
            for i in indexes:
                params[i] = values[name]
        connection = connections[using]
        with connection.cursor() as cursor:
            if self.prepare and connection.vendor == "postgresql" and _prepare(connection, self.prepare, sql, compiled):
                # only the values: the compiled constants are part of the prepared statement
                execute = f"EXECUTE {self.prepare} ({', '.join(['%s'] * len(places))})"
                arguments = [values[name] for name in places]
                if self.generic:
                    cursor.execute(
                        f"SET plan_cache_mode = force_generic_plan; {execute}; RESET plan_cache_mode", arguments
                    )
                    cursor.cursor.nextset()  # the SET's result, then the EXECUTE's rows
                else:
                    cursor.execute(execute, arguments)
            else:
                cursor.execute(sql, params)
            rows = [row[: compiler.col_count] for row in cursor.fetchall()]
        return compiler, rows

    def queue(self, batch: "Batch", *, instances: bool = True, **values) -> "Queued":
        """:meth:`run` (``instances``) or :meth:`rows` as one of ``batch``'s statements (its
        ``value()``: the list), prepared as :meth:`run` prepares it. A query that cannot be
        reused, or runs with its generic plan, is queued as a call of :meth:`run` / :meth:`rows`
        (run in its turn, a round trip of its own)."""
        using = batch.using
        compiled = self._compiled_for(using)
        if compiled is None or self.generic:
            read = self.run if instances else self.rows
            return batch.call(lambda: read(using=using, **values))
        sql, params, places, compiler = compiled
        connection = connections[using]
        if self.prepare and connection.vendor == "postgresql" and _prepared(connection, self.prepare, sql, compiled):
            # only the values: the compiled constants are part of the prepared statement
            sql = f"EXECUTE {self.prepare} ({', '.join(['%s'] * len(places))})"
            params = [values[name] for name in places]
        else:
            params = [*params]
            for name, indexes in places.items():
                for i in indexes:
                    params[i] = values[name]

        def convert(cursor):
            rows = [row[: compiler.col_count] for row in cursor.fetchall()]
            return list(_instances(compiler, rows, using)) if instances else [tuple(row) for row in rows]

        return batch.add(sql, params, convert)

    def run(self, *, using: str = "default", **values) -> list[Model]:
        fetched = self._fetch(using, values)
        if fetched is None:
            return list(self.build(**values).using(using))
        compiler, rows = fetched
        return list(_instances(compiler, rows, using))

    def rows(self, *, using: str = "default", **values) -> list[tuple]:
        """The rows of a ``values_list`` queryset ``build(**values)``, as tuples."""
        fetched = self._fetch(using, values)
        if fetched is None:
            return [tuple(row) for row in self.build(**values).using(using)]
        return [tuple(row) for row in fetched[1]]


#: Prepared statements one connection may hold (then the rest run unprepared): they are few
#: (one per prepared query and size), this only bounds a surprise.
MAX_PREPARED = 64


#: Parameter types declared in ``PREPARE``: PostgreSQL infers the others from where they stand
#: (next to a column, ``ROUND``'s places), but a parameter with nothing typed beside it — the
#: ``CASE WHEN … THEN $1 ELSE $2 END`` of a ``Value(True)`` annotation such as ``sold_out`` — it
#: reads as text, and ``'false'`` is a true string in Python.
_DECLARED_TYPES = ((bool, "boolean"), (float, "double precision"), (Decimal, "numeric"))


def _param_type(value) -> str:
    for kind, sql_type in _DECLARED_TYPES:
        if isinstance(value, kind):
            return sql_type
    return "unknown"


def _prepare(connection, name: str, sql: str, compiled) -> bool:
    """Prepare ``sql`` as ``name`` on the connection unless it already is (True); False when the
    connection holds :data:`MAX_PREPARED` already. The compiled constants are written into the
    statement as literals and each sentinel's places become one parameter (``$1`` for the first
    sentinel, ...), so an ``EXECUTE`` sends only the values (few: the driver caches its
    conversion, and dumps no constants). The values are declared with their types where
    PostgreSQL could not infer them (:data:`_DECLARED_TYPES`)."""
    prepared = connection.connection.__dict__.setdefault("jishi_prepared", set())
    if name in prepared:
        return True
    if len(prepared) >= MAX_PREPARED:
        return False
    from psycopg.sql import Literal  # PostgreSQL only

    _sql, params, places, _compiler = compiled
    number = {i: n for n, indexes in enumerate(places.values(), start=1) for i in indexes}
    pieces = iter(range(len(params)))

    def piece(match) -> str:
        if match.group(1) == "%":
            return "%"
        i = next(pieces)
        return f"${number[i]}" if i in number else Literal(params[i]).as_string(connection.connection)

    text = re.sub(r"%([s%])", piece, sql)
    values = [params[indexes[0]] for indexes in places.values()]
    types = f"({', '.join(_param_type(value) for value in values)})" if values else ""
    connection.connection.execute(f"PREPARE {name}{types} AS {text}")
    prepared.add(name)
    return True


def _prepared(connection, name: str, sql: str, compiled) -> bool:
    """:func:`_prepare` on a connection that may not be open yet."""
    connection.ensure_connection()
    return _prepare(connection, name, sql, compiled)


def prepared_sql(connection, *, name: str, sql: str, params: list, places: dict[str, list[int]]) -> str | None:
    """For SQL compiled by hand (``places``: each value's name → its indexes in ``params``):
    prepare it as ``name`` on the connection (PostgreSQL; as :class:`CompiledQuery`'s
    ``prepare=``) and return the ``EXECUTE`` to run with the values in the order of ``places``,
    or None (another database, or the connection holds :data:`MAX_PREPARED` already): then run
    ``sql`` itself. ``name`` must change when ``sql`` does."""
    if connection.vendor != "postgresql":
        return None
    connection.ensure_connection()
    if not _prepare(connection, name, sql, (sql, params, places, None)):
        return None
    return f"EXECUTE {name} ({', '.join(['%s'] * len(places))})"


#: Statement names by SQL text (:func:`execute_prepared`).
_NAMES: dict[str, str] = {}


def execute_prepared(cursor, *, name: str, sql: str, params: list) -> None:
    """``cursor.execute(sql, params)`` for SQL written by hand whose every ``%s`` is a value,
    prepared once per connection on PostgreSQL (:func:`prepared_sql`; the statement's name is
    ``name`` and a digest of ``sql``): PostgreSQL parses and plans a small statement each time it
    is sent as text (~0.1–0.2 ms for the checkout's cart read, 0.04 as an ``EXECUTE``)."""
    if sql not in _NAMES:
        _NAMES[sql] = f"jishi_{name}_{hashlib.sha256(sql.encode()).hexdigest()[:10]}"
    places = {str(i): [i] for i in range(len(params))}
    execute = prepared_sql(cursor.db, name=_NAMES[sql], sql=sql, params=params, places=places)
    cursor.execute(execute or sql, params)


class Queued:
    """One statement of a :class:`Batch`: :meth:`value` is what its ``convert`` made of its
    result, sending it (and, on PostgreSQL, every statement queued with it) first if need be."""

    __slots__ = ("batch", "sql", "params", "convert", "call", "done", "result")

    def __init__(self, batch: "Batch", sql: str | None, params: list, convert: Callable | None, call: Callable | None):
        self.batch, self.sql, self.params, self.convert, self.call = batch, sql, params, convert, call
        self.done, self.result = False, None

    def value(self):
        if not self.done:
            self.batch.send(upto=self)
        return self.result


#: SQLSTATE of ``jishi_refuse(what)`` (core/migrations/0001_refuse_function.py).
REFUSED_SQLSTATE = "JR001"


def refuse_without_row(sql: str) -> str:
    """``sql`` (a data-modifying statement with ``RETURNING``) as one that fails when it returns
    no row: for :meth:`Batch.refusing` (one ``%s`` more, after ``sql``'s own parameters)."""
    return f"WITH done AS ({sql}) SELECT CASE WHEN NOT EXISTS (SELECT FROM done) THEN jishi_refuse(%s) END"


def _nothing(cursor) -> None:
    return None


class Batch:
    """Statements queued to travel to the database together: on PostgreSQL every statement
    queued and not sent yet goes in ONE query (the statements separated by semicolons: one round
    trip; PostgreSQL runs them one after the other, in the order queued, each with its own
    result) as soon as one of their results is read (:meth:`Queued.value`); elsewhere each runs
    when its result, or a later one's, is read, in the order queued.

    So on PostgreSQL the statements queued after one whose result makes the caller refuse have
    run too, and elsewhere they have not: queue writes only inside a transaction that is rolled
    back when the caller raises, and read the results in the order queued. A database error
    raises from the read that sent the statement (on PostgreSQL the statements after it in the
    same query do not run, and the transaction is aborted, as after any failed statement).
    A batch is for one transaction; each statement is sent once.

    ``add`` queues SQL written by hand whose every ``%s`` is a value (prepared on PostgreSQL as
    :func:`execute_prepared` prepares it when given a ``name``); ``CompiledQuery.queue`` queues a
    compiled query; ``call`` queues a Python call that runs its own statements (in its turn: what
    is queued before it is sent first).

    The transaction's ends travel with its statements (PostgreSQL): when a batch's query is the
    first statement of an atomic block's transaction, the ``BEGIN`` psycopg would send alone
    goes with it; and a batch in the outermost block may end with the ``COMMIT`` (:meth:`commit`),
    its statements that may refuse then queued with :meth:`refusing`."""

    def __init__(self, using: str = "default"):
        self.using = using
        self.connection = connections[using]
        self.together = self.connection.vendor == "postgresql"
        self._queued: list[Queued] = []
        self._refusals: list[Callable[[], Exception]] = []
        self._commit: Queued | None = None

    def add(self, sql: str, params: list, convert: Callable, *, name: str | None = None) -> Queued:
        """Queue ``sql`` with ``params``; its value is ``convert(cursor)``, called with the
        cursor on the statement's result (``fetchall()``, ``rowcount``, ...)."""
        if name is not None:
            if sql not in _NAMES:
                _NAMES[sql] = f"jishi_{name}_{hashlib.sha256(sql.encode()).hexdigest()[:10]}"
            places = {str(i): [i] for i in range(len(params))}
            sql = prepared_sql(self.connection, name=_NAMES[sql], sql=sql, params=params, places=places) or sql
        return self._queue(Queued(self, sql, list(params), convert, None))

    def call(self, call: Callable) -> Queued:
        """Queue ``call()``, whose return is the value."""
        return self._queue(Queued(self, None, [], None, call))

    def can_commit(self) -> bool:
        """Whether this batch may end its transaction (:meth:`commit`): on PostgreSQL, in the
        outermost atomic block, which commits on exit and is not marked for rollback."""
        connection = self.connection
        return (
            self.together
            and connection.in_atomic_block
            and len(connection.atomic_blocks) == 1
            and connection.commit_on_exit
            and not connection.needs_rollback
        )

    def commit(self) -> None:
        """Queue the transaction's ``COMMIT`` (only when :meth:`can_commit`), last: it travels
        with the last statements (one round trip fewer, and the rows they lock are released a
        round trip sooner). Every statement sent with it that may refuse must be queued with
        :meth:`refusing`: a refusal then fails the query, so the ``COMMIT`` does not run. Once
        sent, the transaction is committed: nothing may fail after it in the atomic block."""
        if not self.can_commit():
            raise RuntimeError("Batch.commit() outside the outermost atomic block, or not on PostgreSQL")
        self._commit = self._queue(Queued(self, "COMMIT", [], _nothing, None))

    def refusing(self, sql: str, params: list, *refusals: Callable[[], Exception], name: str | None = None) -> None:
        """Queue ``sql``, a statement that fails (``jishi_refuse(%s)``, one ``%s`` per refusal
        after its own ``params``; :func:`refuse_without_row`) when it refuses, for a batch that
        commits (:meth:`commit`, queued later). When it fails, the batch rolls the transaction
        back and raises the refusal's exception, ``refusal()`` (which may read: it is called
        after the rollback); the caller, in the outermost block, lets it end the block."""
        if not self.can_commit():
            raise RuntimeError("Batch.refusing() needs a batch that commits (Batch.can_commit())")
        names = []
        for refusal in refusals:
            names.append(str(len(self._refusals)))
            self._refusals.append(refusal)
        self.add(sql, [*params, *names], _nothing, name=name)

    def _queue(self, queued: Queued) -> Queued:
        self._queued.append(queued)
        return queued

    def send(self, *, upto: Queued | None = None) -> None:
        """Send what is queued: everything on PostgreSQL, elsewhere up to ``upto`` (default: all)."""
        while self._queued:
            if self._queued[0].call is not None:
                queued = self._queued.pop(0)
                queued.result, queued.done = queued.call(), True
            else:
                count = 1
                if self.together:
                    while count < len(self._queued) and self._queued[count].call is None:
                        count += 1
                group, self._queued = self._queued[:count], self._queued[count:]
                self._execute(group)
            if not self.together and upto is not None and upto.done:
                return

    def _execute(self, group: list[Queued]) -> None:
        sql = "; ".join(queued.sql for queued in group)
        params = [p for queued in group for p in queued.params]
        with self.connection.cursor() as cursor:
            driver = self.connection.connection if self.together else None
            begins = driver is not None and self._begins(driver)
            if begins:  # psycopg would send it alone: it goes with the statements
                driver.autocommit = True
                sql = f"BEGIN; {sql}"
            try:
                cursor.execute(sql, params)
            except DatabaseError as error:
                if getattr(error.__cause__, "sqlstate", None) == REFUSED_SQLSTATE:  # a statement of
                    # refusing(): the batch may end the transaction, and the refusal may read
                    driver.rollback()
                    self.connection.errors_occurred = False  # the rollback's answer: it is usable
                    self._idle(driver)
                    refusal = self._refusals[int(error.__cause__.diag.message_primary)]
                    raise refusal() from None
                if begins:
                    self._idle(driver)
                raise
            if begins:
                cursor.cursor.nextset()  # past the BEGIN's result
            for i, queued in enumerate(group):
                if i:
                    cursor.cursor.nextset()
                queued.result, queued.done = queued.convert(cursor), True
            if self._commit in group:
                self._idle(driver)

    def _begins(self, driver) -> bool:
        """Whether the query about to be sent starts its atomic block's transaction: psycopg
        would send ``BEGIN`` alone first."""
        from psycopg import pq  # PostgreSQL only

        return (
            self.connection.in_atomic_block
            and not driver.autocommit
            and driver.pgconn.transaction_status == pq.TransactionStatus.IDLE
            and driver.isolation_level is None
            and driver.read_only is None
            and driver.deferrable is None
        )

    @staticmethod
    def _idle(driver) -> None:
        """psycopg back out of autocommit once no transaction is open (this batch committed or
        rolled back, or its ``BEGIN`` never ran), as Django set it for the atomic block: a later
        statement in the block starts a transaction of its own, which the block's end commits
        or rolls back."""
        from psycopg import pq  # PostgreSQL only

        if driver.autocommit and driver.pgconn.transaction_status == pq.TransactionStatus.IDLE:
            driver.autocommit = False


def _instances(compiler, rows, using: str):
    """Model instances from ``rows`` of ``compiler``'s SQL, as ``django.db.models.query.ModelIterable``."""
    select, klass_info, annotation_col_map = compiler.select, compiler.klass_info, compiler.annotation_col_map
    model_cls = klass_info["model"]
    select_fields = klass_info["select_fields"]
    start, end = select_fields[0], select_fields[-1] + 1
    init_list = [f[0].target.attname for f in select[start:end]]
    related_populators = get_related_populators(klass_info, select, using)
    for row in compiler.results_iter([rows]):
        obj = model_cls.from_db(using, init_list, row[start:end])
        for populator in related_populators:
            populator.populate(row, obj)
        for attr_name, col_pos in (annotation_col_map or {}).items():
            setattr(obj, attr_name, row[col_pos])
        yield obj


#: ``INSERT ... RETURNING`` SQL by model, database and number of rows (:func:`insert_rows`).
_INSERTS: dict[tuple, tuple[str, list]] = {}
#: Inserts of up to this many rows are prepared (:func:`execute_prepared`); larger ones are sent
#: as text (a prepared statement per row count would crowd :data:`MAX_PREPARED`).
INSERT_PREPARED_MAX = 2


def insert_rows(objs: list[Model], *, using: str = "default", batch: "Batch | None" = None) -> "Queued | None":
    """Insert new instances of one model (no primary key yet) in one statement and set their
    primary keys, as ``bulk_create`` does without its per-call build: the SQL is written once per
    model and number of rows, and each call sends only the values, prepared by each field as
    ``bulk_create`` prepares them (``pre_save`` — ``auto_now_add`` — then ``get_db_prep_save``).
    No signals, no ``ON CONFLICT``; the rows come back in the order given (``bulk_create``
    relies on the same). Prepared for up to :data:`INSERT_PREPARED_MAX` rows. With ``batch`` (a
    :class:`Batch` of ``using``), the ``INSERT`` is queued there: the primary keys are set when it
    is sent (the returned statement's ``value()`` sends it)."""
    if not objs:
        return None
    model = type(objs[0])
    connection = connections[using]
    key = (model, using, len(objs))
    if key not in _INSERTS:
        meta, quote = model._meta, connection.ops.quote_name
        fields = _inserted_fields(model)
        row = "(" + ", ".join(["%s"] * len(fields)) + ")"
        _INSERTS[key] = (
            f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(field.column) for field in fields)}) "
            f"VALUES {', '.join([row] * len(objs))} RETURNING {quote(meta.pk.column)}",
            fields,
        )
    sql, fields = _INSERTS[key]
    name = f"insert_{model._meta.db_table}_{len(objs)}"

    def inserted(cursor) -> None:
        for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
            _inserted(obj, pk, using)

    params = _values(objs, fields, connection)
    prepare = len(objs) <= INSERT_PREPARED_MAX
    return _insert(batch or Batch(using), name, sql, params, inserted, prepare=prepare, now=batch is None)


def insert_row_with_rows(
    parent: Model, children: list[Model], *, link: str, using: str = "default", batch: "Batch | None" = None
) -> None:
    """:func:`insert_rows` of a new ``parent`` and then of its new ``children``, whose foreign key
    ``link`` is set to it, in ONE statement on PostgreSQL: the parent's ``INSERT`` in a ``WITH``,
    each child's ``link`` the id it returns (one round trip fewer: an order and its lines).
    Elsewhere, or without children, the two ``INSERT`` s. With ``batch``, queued there as
    :func:`insert_rows` (elsewhere the parent's ``INSERT`` is sent for the children's)."""
    connection = connections[using]
    if connection.vendor != "postgresql" or not children:
        insert_rows([parent], using=using, batch=batch).value()
        for child in children:
            setattr(child, link, parent)
        insert_rows(children, using=using, batch=batch)
        return
    child_model = type(children[0])
    key = (type(parent), child_model, link, using, len(children))
    if key not in _INSERTS:
        quote = connection.ops.quote_name
        parent_meta, child_meta = parent._meta, child_model._meta
        link_column = child_meta.get_field(link).column
        parent_fields, child_fields = _inserted_fields(type(parent)), _inserted_fields(child_model, but=link)
        parent_row = "(" + ", ".join(["%s"] * len(parent_fields)) + ")"
        child_row = f"((SELECT {quote(parent_meta.pk.column)} FROM parent), " + ", ".join(["%s"] * len(child_fields))
        _INSERTS[key] = (
            f"WITH parent AS (INSERT INTO {quote(parent_meta.db_table)} "
            f"({', '.join(quote(field.column) for field in parent_fields)}) VALUES {parent_row} "
            f"RETURNING {quote(parent_meta.pk.column)}) "
            f"INSERT INTO {quote(child_meta.db_table)} "
            f"({', '.join(quote(column) for column in [link_column, *(f.column for f in child_fields)])}) "
            f"VALUES {', '.join([child_row + ')'] * len(children))} "
            f"RETURNING {quote(link_column)}, {quote(child_meta.pk.column)}",
            (parent_fields, child_fields),
        )
    sql, (parent_fields, child_fields) = _INSERTS[key]
    params = _values([parent], parent_fields, connection) + _values(children, child_fields, connection)
    # model names, not tables: PostgreSQL cuts a statement's name at 63 bytes
    name = f"insert_{parent._meta.model_name}_with_{child_model._meta.model_name}_{len(children)}"

    def inserted(cursor) -> None:
        ids = cursor.fetchall()
        _inserted(parent, ids[0][0], using)
        for child, (_parent_pk, pk) in zip(children, ids, strict=True):
            setattr(child, link, parent)
            _inserted(child, pk, using)

    prepare = len(children) <= INSERT_PREPARED_MAX
    _insert(batch or Batch(using), name, sql, params, inserted, prepare=prepare, now=batch is None)


def _inserted_fields(model, *, but: str | None = None) -> list:
    """The fields an ``INSERT`` of a new ``model`` row writes: all but the primary key (and ``but``)."""
    meta = model._meta
    return [field for field in meta.concrete_fields if field is not meta.pk and field.name != but]


def _values(objs: list[Model], fields: list, connection) -> list:
    """Each field's value of each new instance, prepared as ``bulk_create`` prepares it
    (``pre_save`` — ``auto_now_add`` — then ``get_db_prep_save``)."""
    return [field.get_db_prep_save(field.pre_save(obj, True), connection) for obj in objs for field in fields]


def _insert(batch: "Batch", name: str, sql: str, params: list, inserted, *, prepare: bool, now: bool) -> "Queued":
    """``sql`` queued in ``batch``, prepared (:func:`execute_prepared`) when ``prepare``, its
    rows handed to ``inserted(cursor)``; sent at once when ``now``."""
    queued = batch.add(sql, params, inserted, name=name if prepare else None)
    if now:
        queued.value()
    return queued


def _inserted(obj: Model, pk, using: str) -> None:
    obj.pk = pk
    obj._state.adding, obj._state.db = False, using
