"""Domain signals: the one way a lower app tells upper apps that something happened.

A lower app declares each signal as a :class:`DomainSignal` naming its keyword arguments and
documents it in its own ``signals`` module (``marketplace/signals.py`` is the example); its
services send it with :func:`send_on_commit`, and nothing else sends it. Upper apps connect
receivers in their ``AppConfig.ready()``; a receiver calls one service of its own app.

Why one helper:

* **After commit.** A receiver never sees a row that is rolled back later, and the work it
  starts (a Celery task, a cache bump) reads committed data. Outside a transaction it sends at
  once (Django's ``on_commit`` semantics).
* **Robustly.** The sender's change is already committed when the signal goes out, so a receiver
  that raises must not turn a paid order or a posted review into a 500, nor stop the other
  receivers. Each failure is logged (logger ``core.signals``, level ERROR, with the traceback)
  and the request carries on (``Signal.send_robust``).
* **Checked arguments.** A signal's documented arguments are the contract: sending one with
  other keywords raises ``TypeError`` (a programming error, caught by the tests), so the
  documentation cannot drift from what receivers get.

Arguments are ids and plain values, never model instances: a receiver runs after commit (and
often hands the work to Celery), so it loads what it needs fresh.
"""

import logging
from collections.abc import Callable, Iterable
from functools import partial

from django.db import transaction
from django.dispatch import Signal

from core.cache import Marks, marks_forget_ahead
from core.cache import bump as cache_bump

logger = logging.getLogger(__name__)


class DomainSignal(Signal):
    """A ``Signal`` that knows its name and the keyword arguments it is sent with."""

    def __init__(self, name: str, args: Iterable[str]):
        super().__init__()
        self.name = name
        self.args = tuple(args)

    def __repr__(self) -> str:
        return f"<DomainSignal {self.name}({', '.join(self.args)})>"

    def ahead(self, checks: Callable[..., Iterable[tuple]], *, dispatch_uid: str) -> None:
        """Register what a receiver of this signal will ask of ``core.cache.Marks``: ``checks``
        gets the signal's arguments and returns ``(marks, member, since)`` triples; before the
        receivers run, :func:`send_now` asks all of them in one round trip."""
        self._ahead = {**getattr(self, "_ahead", {}), dispatch_uid: checks}

    def _log_robust_failure(self, receiver, err):
        """Django (5.x) logs a failed receiver here without the arguments; :func:`send_now` logs it
        once, with the signal's name and ids, instead."""


def _describe(receiver) -> str:
    return f"{getattr(receiver, '__module__', '?')}.{getattr(receiver, '__qualname__', repr(receiver))}"


def _check_args(signal: DomainSignal, kwargs: dict) -> None:
    if set(kwargs) != set(signal.args):
        raise TypeError(f"{signal!r} sent with {sorted(kwargs)}; its arguments are {list(signal.args)}")


def send_now(signal: DomainSignal, *, sender, bump: Iterable[str] = (), **kwargs) -> list[tuple]:
    """Send ``signal`` now to every receiver; a receiver that raises is logged with its traceback
    and the others still run. Returns ``send_robust``'s ``[(receiver, result or exception)]``.
    Services call :func:`send_on_commit`; this is its second half (and what tests may call).
    ``bump``: cache tags to bump (``core.cache.bump``) first, in the round trip that asks the
    receivers' marks."""
    _check_args(signal, kwargs)
    ahead = getattr(signal, "_ahead", None)
    checks = [check for checks in ahead.values() for check in checks(**kwargs)] if ahead else []
    if bump:
        cache_bump(*bump, marks=checks)
    elif checks:
        Marks.ahead(checks)
    try:
        results = signal.send_robust(sender=sender, **kwargs)
    finally:
        if ahead:
            marks_forget_ahead()
    for receiver, result in results:
        if isinstance(result, Exception):
            logger.error(
                "Receiver %s of the %s signal failed (%s); the change that sent it stands.",
                _describe(receiver),
                signal.name,
                ", ".join(f"{key}={value!r}" for key, value in kwargs.items() if key.endswith("_id")),
                exc_info=result,
            )
    return results


def send_on_commit(signal: DomainSignal, *, sender, bump: Iterable[str] = (), **kwargs) -> None:
    """Send ``signal`` (robustly, see :func:`send_now`) when the current transaction commits —
    at once outside a transaction, never if it rolls back. Keyword arguments must be exactly
    the signal's documented ``args``; they are checked now, so a mistake fails at the call.
    ``bump``: cache tags the change invalidates, bumped on commit before the receivers run, in
    the round trip of their marks (instead of a ``core.cache.bump_on_commit`` of their own)."""
    _check_args(signal, kwargs)
    transaction.on_commit(partial(send_now, signal, sender=sender, bump=tuple(bump), **kwargs))
