"""Activity records and the interest profiles built from them."""

import math
from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from community.caching import feed_tag
from community.models import Activity, ActivityKind, InterestProfile, QuestionFeedEntry, User
from community.services.feeds import question_feed_rebuild_soon
from community.signals import interest_profile_rebuilt
from core.cache import bump_on_commit
from core.signals import send_on_commit
from marketplace.selectors.catalogue import product_category_id
from marketplace.selectors.orders import order_get_purchased_with_lines, review_get

#: How much each kind of activity says about a user's interest (before decay).
KIND_WEIGHTS = {
    ActivityKind.BOUGHT: 5.0,
    ActivityKind.REVIEWED: 4.0,
    ActivityKind.ASKED: 2.0,
    ActivityKind.ANSWERED: 2.0,
    ActivityKind.LIKED_STORY: 2.0,
    ActivityKind.WATCHED_LIVE: 1.5,
    ActivityKind.VOTED: 1.0,
    ActivityKind.VIEWED: 1.0,
}
#: Activity older than this is ignored by interest profiles.
INTEREST_WINDOW = timedelta(days=90)


def activity_record(
    *,
    user_id: int,
    kind: str,
    product_id: int | None = None,
    category_id: int | None = None,
    ref: str = "",
    at: datetime | None = None,
) -> Activity | None:
    """Record one activity: the only writer of ``Activity``. The product's category is filled in
    when not given. With a ``ref`` (the source row, e.g. ``"orderline:7"``) the same event is kept
    once (repeat views are already thinned by the marketplace before it sends ``product_viewed``).
    Returns the new row, or None when nothing was recorded."""
    if product_id is not None and category_id is None:
        category_id = product_category_id(product_id=product_id)
    fields = {"product_id": product_id, "category_id": category_id, "created_at": at or timezone.now()}
    if ref:
        activity, created = Activity.objects.get_or_create(user_id=user_id, kind=kind, ref=ref, defaults=fields)
        return activity if created else None
    return Activity.objects.create(user_id=user_id, kind=kind, **fields)


@transaction.atomic
def activities_record_order(*, order_id: int) -> int:
    """Record a "bought" activity for each line of a paid order (idempotent by order line); when
    something new was recorded, the buyer's interests and feed are rebuilt soon after commit."""
    order = order_get_purchased_with_lines(order_id=order_id)
    if order is None:
        return 0
    recorded = 0
    for line in order.lines.all():
        recorded += bool(
            activity_record(
                user_id=order.buyer_id,
                kind=ActivityKind.BOUGHT,
                product_id=line.product_id,
                category_id=line.product.category_id,
                ref=f"orderline:{line.pk}",
                at=order.paid_at,
            )
        )
    if recorded:
        question_feed_rebuild_soon(user_id=order.buyer_id)
    return recorded


def activity_record_review(*, review_id: int) -> Activity | None:
    review = review_get(review_id=review_id)
    if review is None:
        return None
    return activity_record(
        user_id=review.author_id,
        kind=ActivityKind.REVIEWED,
        product_id=review.product_id,
        category_id=review.product.category_id,
        ref=f"review:{review_id}",
    )


@transaction.atomic
def activity_clear(*, user: User) -> int:
    """Forget ``user``'s activity history and what was derived from it: interests and the
    precomputed feed (they see popular questions until they do something again)."""
    deleted, _ = Activity.objects.filter(user=user).delete()
    InterestProfile.objects.filter(user=user).delete()
    QuestionFeedEntry.objects.filter(user=user).delete()
    bump_on_commit(feed_tag(user.pk))  # their cached questions page
    return deleted


def _half_life_days() -> float:
    return float(settings.INTEREST_HALF_LIFE_DAYS)


@transaction.atomic
def interest_profile_rebuild(*, user_id: int, now: datetime) -> dict[int, float]:
    """Recompute ``user_id``'s interest in each category from scratch as of ``now`` and replace
    their InterestProfile rows: each activity adds ``KIND_WEIGHTS[kind] * 0.5 ** (age / half-life)``
    to its category. Deterministic for a given ``now``, so re-running gives the same rows.
    Announces ``interest_profile_rebuilt`` after commit (feeds above community follow it).
    Returns ``{category_id: weight}``."""
    # Lock the user row so two concurrent rebuilds of one user take turns.
    if not User.objects.select_for_update().filter(pk=user_id).exists():
        return {}
    half_life = _half_life_days()
    weights: dict[int, float] = defaultdict(float)
    rows = Activity.objects.filter(
        user_id=user_id, category_id__isnull=False, created_at__gt=now - INTEREST_WINDOW, created_at__lte=now
    ).values_list("kind", "category_id", "created_at")
    for kind, category_id, created_at in rows:
        age_days = (now - created_at).total_seconds() / 86400
        weights[category_id] += KIND_WEIGHTS.get(kind, 1.0) * math.pow(0.5, age_days / half_life)
    weights = {category_id: round(weight, 6) for category_id, weight in weights.items() if weight >= 0.001}
    InterestProfile.objects.filter(user_id=user_id).delete()
    InterestProfile.objects.bulk_create(
        InterestProfile(user_id=user_id, category_id=category_id, weight=weight, computed_at=now)
        for category_id, weight in weights.items()
    )
    send_on_commit(interest_profile_rebuilt, sender=InterestProfile, user_id=user_id, as_of=now.isoformat())
    return weights
