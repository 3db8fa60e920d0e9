"""Activity history and interest reads."""

from datetime import datetime

from django.db.models import QuerySet

from community.models import Activity, InterestProfile, User


def activity_list(*, user: User) -> QuerySet[Activity]:
    """``user``'s own activity history, newest first, with what it was about."""
    return Activity.objects.filter(user=user).select_related("product", "category").order_by("-created_at", "-id")


def interest_list(*, user: User) -> QuerySet[InterestProfile]:
    return InterestProfile.objects.filter(user=user).select_related("category").order_by("-weight")


def users_with_recent_activity(*, since: datetime) -> list[int]:
    return list(
        Activity.objects.filter(created_at__gte=since).order_by("user_id").values_list("user_id", flat=True).distinct()
    )
