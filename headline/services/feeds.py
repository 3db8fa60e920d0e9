"""The precomputed "for you" story feed and the trending ranking."""

from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from community.models import User
from headline.models import StoryFeedEntry
from headline.selectors.feeds import TRENDING_CACHE_KEY, story_feed_score, trending_rank


@transaction.atomic
def story_feed_rebuild(*, user_id: int, now: datetime) -> list[StoryFeedEntry]:
    """Replace ``user_id``'s "for you" entries with the top ``HEADLINE_FEED_SIZE`` stories of
    :func:`headline.selectors.feeds.story_feed_score` as of ``now``, in one transaction under
    the user's row lock (concurrent rebuilds of one user take turns; a worker killed halfway
    leaves the old rows, and the redelivered task writes the new ones). Deterministic for a
    given ``now``, so a retried job writes the same rows. An inactive or deleted user ends up
    with none. Returns the new entries, best first."""
    user = User.objects.select_for_update().filter(pk=user_id).first()
    StoryFeedEntry.objects.filter(user_id=user_id).delete()
    if user is None or not user.is_active:
        return []
    rows = story_feed_score(user=user, now=now).values_list("pk", "score", "reason", "category_id")
    return StoryFeedEntry.objects.bulk_create(
        StoryFeedEntry(
            user_id=user_id,
            story_id=story_id,
            score=score,
            reason=reason,
            reason_category_id=category_id if reason in ("bought", "interest") else None,
            computed_at=now,
        )
        for story_id, score, reason, category_id in rows[: settings.HEADLINE_FEED_SIZE]
    )


def trending_refresh(*, now: datetime) -> list[int]:
    """Rank trending stories as of ``now`` and cache the ids (beat runs this every few
    minutes; readers fall back to ranking themselves when the cache is cold)."""
    ids = trending_rank(now=now)
    cache.set(TRENDING_CACHE_KEY, ids, timeout=settings.HEADLINE_TRENDING_CACHE_SECONDS)
    return ids
