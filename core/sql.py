"""A queryset's SQL compiled once per process, for reads on a hot path whose ORM build and
compile cost more Python than the database spends answering them.

``CompiledQuery(build, sentinels)``: ``build(**values)`` returns a queryset (``.rows()`` for a
``values_list`` one, ``.instances()`` for model instances); it is built and compiled twice, with
two sets of sentinel values that a real call never passes. Where the sentinels land in the
parameters is where a call's values go. When the two compilations differ in anything but those
parameters (a rule that reads the clock, a setting or the database while it is built, a lookup
that transforms its value such as ``startswith``), nothing is reused and every call builds its
queryset as usual — the answer is the same either way, only its cost differs.
``community.selectors.notifications`` does the same for the signed-in user's query; this is its
general form.

With ``prepare="name"``, on PostgreSQL the statement is also prepared on the server (``PREPARE``
once per database connection, then ``EXECUTE``): a read with many subqueries can cost PostgreSQL
more to plan than to run (the flash gate's early read: ~1.4 ms of planning, 0.4 ms of execution).
A prepared statement lives as long as its connection (it survives a rolled-back transaction);
a new connection prepares it again. The ``EXECUTE`` goes through Django's cursor (query logging
and counting see one statement per read, as before); the ``PREPARE`` is connection setup, run on
the driver's connection once.
"""

import re
from collections.abc import Callable
from typing import Any

from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import get_related_populators


class CompiledQuery:
    def __init__(
        self, build: Callable[..., QuerySet], sentinels: dict[str, tuple[Any, Any]], *, prepare: str | None = None
    ):
        self.build = build
        self.sentinels = sentinels
        self.prepare = prepare
        #: by database alias: (sql, params, {param index: value name}, compiler) or None (not reusable)
        self._compiled: dict[str, tuple | None] = {}

    def _compile(self, using: str) -> tuple | None:
        compiled = []
        for which in (0, 1):
            values = {name: pair[which] for name, pair in self.sentinels.items()}
            compiler = self.build(**values).query.get_compiler(using=using)
            sql, params = compiler.as_sql()
            compiled.append((sql, list(params), values, compiler))
        (sql_a, params_a, values_a, compiler), (sql_b, params_b, values_b, _compiler) = compiled
        if sql_a != sql_b or len(params_a) != len(params_b):
            return None
        slots: dict[int, str] = {}
        for index, (a, b) in enumerate(zip(params_a, params_b, strict=True)):
            names = [name for name in values_a if a == values_a[name] and b == values_b[name]]
            if len(names) == 1:
                slots[index] = names[0]
            elif a != b:
                return None
        if set(slots.values()) != set(self.sentinels):
            return None
        return sql_a, params_a, slots, compiler

    def _fetch(self, using: str, values: dict) -> tuple | None:
        """(the compiler of the first compilation, the raw rows), or None if not reusable."""
        if using not in self._compiled:
            self._compiled[using] = self._compile(using)
        compiled = self._compiled[using]
        if compiled is None:
            return None
        sql, params, slots, compiler = compiled
        params = [*params]
        for index, name in slots.items():
            params[index] = values[name]
        connection = connections[using]
        with connection.cursor() as cursor:
            if self.prepare and connection.vendor == "postgresql" and _prepare(connection, self.prepare, sql):
                cursor.execute(f"EXECUTE {self.prepare} ({', '.join(['%s'] * len(params))})", params)
            else:
                cursor.execute(sql, params)
            return compiler, cursor.fetchall()

    def rows(self, *, using: str = "default", **values: Any) -> list[tuple]:
        """The rows of ``build(**values)`` (a ``values_list`` queryset) as tuples (values as the
        database driver returns them)."""
        fetched = self._fetch(using, values)
        if fetched is None:
            return list(self.build(**values).using(using))
        return fetched[1]

    def instances(self, *, using: str = "default", **values: Any) -> list:
        """The model instances of ``build(**values)`` (a model queryset), as iterating it gives
        them: fields, ``select_related`` objects and annotations, with the database converters
        applied — Django's ``ModelIterable`` fed the rows of the SQL compiled once."""
        fetched = self._fetch(using, values)
        if fetched is None:
            return list(self.build(**values).using(using))
        compiler, rows = fetched
        select, klass_info, annotation_col_map = compiler.select, compiler.klass_info, compiler.annotation_col_map
        model = klass_info["model"]
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        init_list = [column[0].target.attname for column in select[start:end]]
        populators = get_related_populators(klass_info, select, using)
        objects = []
        for row in compiler.results_iter([rows]):
            obj = model.from_db(using, init_list, row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            for name, position in (annotation_col_map or {}).items():
                setattr(obj, name, row[position])
            objects.append(obj)
        return objects

    def clear(self) -> None:
        self._compiled.clear()


def _prepare(connection, name: str, sql: str) -> bool:
    """Prepare ``sql`` as ``name`` on the connection unless it already is (True), or False when
    the connection holds :data:`MAX_PREPARED` already. The ``PREPARE`` is the connection's setup,
    like its time zone: it runs on the driver's connection, outside Django's query log, so a
    request's statements count the same on a new connection and an old one."""
    prepared = connection.connection.__dict__.setdefault("jishi_prepared", set())
    if name in prepared:
        return True
    if len(prepared) >= MAX_PREPARED:
        return False
    connection.connection.execute(f"PREPARE {name} AS {_numbered(sql)}")
    prepared.add(name)
    return True


def _numbered(sql: str) -> str:
    """Django's ``%s`` placeholders as PostgreSQL's ``$1, $2, ...`` (and ``%%`` as ``%``)."""
    numbers = iter(range(1, sql.count("%s") + 1))
    return re.sub(r"%([s%])", lambda match: f"${next(numbers)}" if match.group(1) == "s" else "%", sql)


#: Prepared statements one connection may hold (then the rest run as usual): they are few (one
#: per compiled query and size), this only bounds a surprise.
MAX_PREPARED = 64
