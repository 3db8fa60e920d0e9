"""Reads of the address book (one query each, whatever its size)."""

from django.db.models import QuerySet

from marketplace.models import Address


def address_list_for_user(*, user) -> QuerySet[Address]:
    """The user's addresses, the default first, then the most recently changed."""
    return Address.objects.filter(user=user).order_by("-is_default", "-updated_at", "-id")


def address_get_for_user(*, user, address_id: int) -> Address | None:
    """One of the user's addresses, or None (someone else's address is never found)."""
    return Address.objects.filter(user=user, pk=address_id).first()


def address_get_default(*, user) -> Address | None:
    """The user's default address, or None when the book is empty."""
    return Address.objects.filter(user=user, is_default=True).first()
