"""Community writes: plain functions with keyword-only arguments."""

from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from community.models import User
from marketplace.errors import ApplicationError


@transaction.atomic
def user_create(*, username: str, password: str, email: str = "", display_name: str = "") -> User:
    """Create a user after Django's username and password validation."""
    if User.objects.filter(username__iexact=username).exists():
        raise ApplicationError("That username is taken.", code="username_taken")
    user = User(username=username, email=email, display_name=display_name)
    try:
        user.full_clean(exclude=["password"])
        validate_password(password, user)
    except ValidationError as exc:
        message = " ".join(exc.messages) if hasattr(exc, "messages") else str(exc)
        raise ApplicationError(message, code="invalid_user") from exc
    user.set_password(password)
    user.save()
    return user


def sessions_clear_expired(*, now=None) -> int:
    """Delete expired database sessions; returns how many were deleted."""
    deleted, _ = Session.objects.filter(expire_date__lt=now or timezone.now()).delete()
    return deleted
