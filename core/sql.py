"""A queryset's SQL compiled once per process, for reads on a hot path whose ORM build and
compile cost more Python than the database spends answering them.

``CompiledQuery(build, sentinels)``: ``build(**values)`` returns a ``values_list`` queryset; it is
built and compiled twice, with two sets of sentinel values that a real call never passes. Where
the sentinels land in the parameters is where a call's values go. When the two compilations
differ in anything but those parameters (a rule that reads the clock, a setting or the database
while it is built), nothing is reused and every call builds its queryset as usual — the answer
is the same either way, only its cost differs. ``community.selectors.notifications`` does the same
for the signed-in user's query; this is its general form.

With ``prepare="name"``, on PostgreSQL the statement is also prepared on the server (``PREPARE``
once per database connection, then ``EXECUTE``): a read with many subqueries can cost PostgreSQL
more to plan than to run (the flash gate's early read: ~1.4 ms of planning, 0.4 ms of execution).
A prepared statement lives as long as its connection (it survives a rolled-back transaction);
a new connection prepares it again. Both statements go through Django's cursor, so query
logging and counting see them (the ``PREPARE`` once per connection).
"""

import re
from collections.abc import Callable
from typing import Any

from django.db import connections
from django.db.models import QuerySet


class CompiledQuery:
    def __init__(
        self, build: Callable[..., QuerySet], sentinels: dict[str, tuple[Any, Any]], *, prepare: str | None = None
    ):
        self.build = build
        self.sentinels = sentinels
        self.prepare = prepare
        #: by database alias: (sql, params, {param index: value name}) or None (not reusable)
        self._compiled: dict[str, tuple[str, list, dict[int, str]] | None] = {}

    def _compile(self, using: str) -> tuple[str, list, dict[int, str]] | None:
        compiled = []
        for which in (0, 1):
            values = {name: pair[which] for name, pair in self.sentinels.items()}
            sql, params = self.build(**values).using(using).query.sql_with_params()
            compiled.append((sql, list(params), values))
        (sql_a, params_a, values_a), (sql_b, params_b, values_b) = compiled
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
        return sql_a, params_a, slots

    def rows(self, *, using: str = "default", **values: Any) -> list[tuple]:
        """The rows of ``build(**values)`` as tuples (values as the database driver returns them)."""
        if using not in self._compiled:
            self._compiled[using] = self._compile(using)
        compiled = self._compiled[using]
        if compiled is None:
            return list(self.build(**values).using(using))
        sql, params, slots = compiled
        params = [*params]
        for index, name in slots.items():
            params[index] = values[name]
        connection = connections[using]
        with connection.cursor() as cursor:
            if self.prepare and connection.vendor == "postgresql":
                raw = connection.connection
                prepared = raw.__dict__.setdefault("jishi_prepared", set())
                if self.prepare not in prepared:
                    cursor.execute(f"PREPARE {self.prepare} AS {_numbered(sql)}")
                    prepared.add(self.prepare)
                cursor.execute(f"EXECUTE {self.prepare} ({', '.join(['%s'] * len(params))})", params)
            else:
                cursor.execute(sql, params)
            return cursor.fetchall()

    def clear(self) -> None:
        self._compiled.clear()


def _numbered(sql: str) -> str:
    """Django's ``%s`` placeholders as PostgreSQL's ``$1, $2, ...`` (and ``%%`` as ``%``)."""
    numbers = iter(range(1, sql.count("%s") + 1))
    return re.sub(r"%([s%])", lambda match: f"${next(numbers)}" if match.group(1) == "s" else "%", sql)
