"""Inbox reads."""

from django.core.cache import cache
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from community.models import Notification, User

#: The unread badge is shown on every signed-in page: its count is cached this long and
#: forgotten by the services whenever it changes.
UNREAD_CACHE_SECONDS = 300


def unread_cache_key(user_id: int) -> str:
    return f"community:unread:{user_id}"


def notification_list(*, user: User) -> QuerySet[Notification]:
    """``user``'s inbox, newest first (served by the (recipient, -created_at) index)."""
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-id")


def notification_get_for_user(*, user: User, notification_id: int) -> Notification:
    return get_object_or_404(Notification, pk=notification_id, recipient=user)


def notification_unread_count(*, user: User) -> int:
    """How many unread notifications ``user`` has: one indexed COUNT, cached."""
    key = unread_cache_key(user.pk)
    count = cache.get(key)
    if count is None:
        count = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
        cache.set(key, count, UNREAD_CACHE_SECONDS)
    return count
