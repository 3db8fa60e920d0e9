"""Reads of the address book (one query each, whatever its size)."""

from collections.abc import Callable

from django.db.models import QuerySet

from core.queries import Batch, CompiledQuery
from marketplace.models import Address


def address_list_for_user(*, user) -> QuerySet[Address]:
    """The user's addresses, the default first, then the most recently changed."""
    return Address.objects.filter(user=user).order_by("-is_default", "-updated_at", "-id")


def address_get_for_user(*, user, address_id: int) -> Address | None:
    """One of the user's addresses, or None (someone else's address is never found)."""
    return Address.objects.filter(user=user, pk=address_id).first()


def _default_address_snapshot(*, user_id: int) -> QuerySet:
    return (
        Address.objects.filter(user_id=user_id, is_default=True).order_by("pk").values_list(*Address.SNAPSHOT_FIELDS)
    )[:1]


#: Every checkout reads it: compiled once per process (the ORM's build cost more than the read)
#: and prepared once per connection (as text PostgreSQL spent ~100 us parsing and planning it,
#: ~40 us prepared), read as a row (no model instance: ~160 -> ~80 us of the worker's CPU).
_DEFAULT_ADDRESS_SNAPSHOT = CompiledQuery(
    _default_address_snapshot, prepare="jishi_default_address_snapshot", user_id=(-7_200_001, -7_200_002)
)


def address_snapshot_default(*, user, batch: Batch) -> Callable[[], dict | None]:
    """The copy of the user's default address an order keeps (``Address.snapshot()``), or None
    when the book is empty: its read queued in ``batch`` (``core.queries.Batch``), the snapshot
    when the result is called."""
    if user.pk is None:
        return lambda: None
    found = _DEFAULT_ADDRESS_SNAPSHOT.queue(batch, instances=False, user_id=user.pk)
    return lambda: _snapshot(found.value())


def _snapshot(found: list[tuple]) -> dict | None:
    return dict(zip(Address.SNAPSHOT_FIELDS, found[0], strict=True)) if found else None
