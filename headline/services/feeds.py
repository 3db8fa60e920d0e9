"""The precomputed "for you" story feed and the trending ranking."""

from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from community.models import User
from headline.models import FeedReason, StoryFeedEntry
from headline.selectors.feeds import TRENDING_CACHE_KEY, story_feed_score, trending_rank


@transaction.atomic
def story_feed_rebuild(*, user_id: int, now: datetime) -> list[StoryFeedEntry]:
    """Replace ``user_id``'s "for you" entries with the top ``HEADLINE_FEED_SIZE`` stories of
    :func:`headline.selectors.feeds.story_feed_score` as of ``now``, in one transaction under
    the user's row lock (concurrent rebuilds of one user take turns; a worker killed halfway
    leaves the old rows, and the redelivered task writes the new ones). Deterministic for a
    given ``now``, so a retried job writes the same rows. An inactive or deleted user ends up
    with none. Returns the new entries, best first.

    The scored rows go straight from the scoring query into the table (one ``INSERT ...
    SELECT``, nothing round-trips through Python), and on PostgreSQL the transaction commits
    without waiting for its WAL flush: a feed is derived data, and a rebuild lost to a crash in
    that instant is redone by the next run."""
    user = User.objects.select_for_update().filter(pk=user_id).first()
    StoryFeedEntry.objects.filter(user_id=user_id).delete()
    if user is None or not user.is_active:
        return []
    connection = transaction.get_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
    scored = story_feed_score(user=user, now=now).values("pk", "score", "reason", "category_id")
    select, params = scored[: settings.HEADLINE_FEED_SIZE].query.sql_with_params()
    table = StoryFeedEntry._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (user_id, story_id, score, reason, reason_category_id, computed_at) "
            f"SELECT %s, scored.pk, scored.score, scored.reason, "
            f"CASE WHEN scored.reason IN (%s, %s) THEN scored.category_id END, %s FROM ({select}) AS scored "
            f"RETURNING id, story_id, score, reason, reason_category_id",
            [user_id, FeedReason.BOUGHT, FeedReason.INTEREST, now, *params],
        )
        rows = cursor.fetchall()
    entries = [
        StoryFeedEntry(
            pk=pk,
            user_id=user_id,
            story_id=story_id,
            score=score,
            reason=reason,
            reason_category_id=category_id,
            computed_at=now,
        )
        for pk, story_id, score, reason, category_id in rows
    ]
    entries.sort(key=lambda entry: (-entry.score, -entry.story_id))
    return entries


def trending_refresh(*, now: datetime) -> list[int]:
    """Rank trending stories as of ``now`` and cache the ids (beat runs this every few
    minutes; readers fall back to ranking themselves when the cache is cold)."""
    ids = trending_rank(now=now)
    cache.set(TRENDING_CACHE_KEY, ids, timeout=settings.HEADLINE_TRENDING_CACHE_SECONDS)
    return ids
