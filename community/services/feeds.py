"""The precomputed "for you" question feed: rebuild a user's entries, and schedule a rebuild
after something they did (a purchase, a question, an answer)."""

from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from community.caching import feed_tag
from community.models import QuestionFeedEntry, User
from community.selectors.qa import question_feed_score
from core.cache import bump_on_commit


@transaction.atomic
def question_feed_rebuild(*, user_id: int, now: datetime) -> list[QuestionFeedEntry]:
    """Replace ``user_id``'s feed entries with the top ``QUESTION_FEED_SIZE`` questions of
    :func:`community.selectors.qa.question_feed_score` as of ``now``, in one transaction under
    the user's row lock (concurrent rebuilds of one user take turns). Deterministic for a given
    ``now`` and the same data, so a retried job writes the same rows. An inactive or deleted
    user ends up with no entries. Returns the new entries, best first."""
    user = User.objects.select_for_update().filter(pk=user_id).first()
    QuestionFeedEntry.objects.filter(user_id=user_id).delete()
    bump_on_commit(feed_tag(user_id))  # their cached questions page
    if user is None or not user.is_active:
        return []
    rows = question_feed_score(user=user, now=now).values_list("pk", "score", "reason")[: settings.QUESTION_FEED_SIZE]
    return QuestionFeedEntry.objects.bulk_create(
        QuestionFeedEntry(user_id=user_id, question_id=question_id, score=score, reason=reason, computed_at=now)
        for question_id, score, reason in rows
    )


def question_feed_rebuild_soon(*, user_id: int) -> None:
    """After the current transaction commits, queue a rebuild of ``user_id``'s interests and
    then their feed, ``QUESTION_FEED_REBUILD_DELAY_SECONDS`` later. A burst
    of events queues one rebuild: the cache marker lives a second less than the delay, so any
    event it swallows committed before the queued rebuild starts and is included. Best effort
    (``robust``): if the broker or cache is down, the hourly job catches up and the caller's
    commit stands."""
    from community.tasks import interest_profile_rebuild  # tasks import services: import here

    delay = settings.QUESTION_FEED_REBUILD_DELAY_SECONDS

    def enqueue():
        if delay > 1 and not cache.add(f"community:feed-rebuild:{user_id}", 1, timeout=delay - 1):
            return
        interest_profile_rebuild.apply_async(args=[user_id, None], countdown=delay)

    transaction.on_commit(enqueue, robust=True)
