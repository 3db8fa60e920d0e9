"""Reads of the address book (one query each, whatever its size)."""

from django.db.models import QuerySet

from core.queries import CompiledQuery
from marketplace.models import Address


def address_list_for_user(*, user) -> QuerySet[Address]:
    """The user's addresses, the default first, then the most recently changed."""
    return Address.objects.filter(user=user).order_by("-is_default", "-updated_at", "-id")


def address_get_for_user(*, user, address_id: int) -> Address | None:
    """One of the user's addresses, or None (someone else's address is never found)."""
    return Address.objects.filter(user=user, pk=address_id).first()


def _default_address(*, user_id: int) -> QuerySet[Address]:
    return Address.objects.filter(user_id=user_id, is_default=True).order_by("pk")[:1]


#: Every checkout reads it: compiled once per process (the ORM's build cost more than the read).
_DEFAULT_ADDRESS = CompiledQuery(_default_address, user_id=(-7_200_001, -7_200_002))


def address_get_default(*, user) -> Address | None:
    """The user's default address, or None when the book is empty."""
    if user.pk is None:
        return None
    found = _DEFAULT_ADDRESS.run(user_id=user.pk)
    return found[0] if found else None
