"""Health checks of persistent database connections only after a pause.

With ``CONN_HEALTH_CHECKS`` (settings, persistent connections) Django asks ``SELECT 1`` before a
request's first query on a connection it kept, so that a connection the server, a proxy or a
firewall dropped while it sat idle is replaced instead of failing the request. Under load that
is one more round trip and statement for every request that reads the database (a distinct
search: ~0.1 ms of the worker's CPU, beside its ~2 ms). What the check guards against needs the
connection to sit idle; so a connection on which a statement succeeded less than
:data:`HEALTHY_FOR` seconds ago is taken as healthy without asking. One that broke in that
second (the server restarted under load) fails the request that finds it, as it would without
health checks, and Django closes it after that request (``errors_occurred``).
"""

import time

from django.core.signals import request_started
from django.db import connections

#: A connection that answered a statement this recently (seconds) is not checked again.
HEALTHY_FOR = 1.0


def _answered(execute, sql, params, many, context):
    """An execute wrapper on every connection: when its last statement succeeded."""
    result = execute(sql, params, many, context)
    context["connection"].jishi_answered_at = time.monotonic()
    return result


def _skip_recent_checks(**_kwargs) -> None:
    """At a request's start, after Django's ``close_old_connections`` asked for a check: none for
    a connection that answered within :data:`HEALTHY_FOR` seconds. Also puts :func:`_answered`
    first among the connection's execute wrappers (first: ``connection.execute_wrapper``
    contexts pop the last one)."""
    now = time.monotonic()
    for connection in connections.all(initialized_only=True):
        if _answered not in connection.execute_wrappers:
            connection.execute_wrappers.insert(0, _answered)
        answered = getattr(connection, "jishi_answered_at", None)
        if (
            connection.connection is not None
            and answered is not None
            and now - answered < HEALTHY_FOR
            and not connection.errors_occurred
        ):
            connection.health_check_done = True


def install() -> None:
    """Connect the receivers (``core.apps``): after Django's own ``request_started`` receiver."""
    request_started.connect(_skip_recent_checks, dispatch_uid="core.dbhealth.skip")
