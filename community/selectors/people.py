"""Community reads: querysets ready to render."""

from django.shortcuts import get_object_or_404

from community.models import User


def user_get_public(*, username: str) -> User:
    return get_object_or_404(User.objects.filter(is_active=True), username=username)
