"""Community Celery tasks: each takes ids, calls one service, and is idempotent (safe to retry;
the retry policy is ``core.tasks.RetryingTask``). Queues (set in ``CELERY_TASK_ROUTES``):
``notify`` for the inbox, e-mail and question routing; ``feeds`` for interest profiles and the
precomputed question feed."""

from datetime import datetime, timedelta

from celery import shared_task
from django.utils import timezone

from community.selectors.activity import users_with_recent_activity
from community.services import activity, feeds, notifications, people, qa
from core.tasks import RetryingTask


@shared_task
def clear_expired_sessions() -> int:
    """Nightly housekeeping: drop expired sessions (idempotent)."""
    return people.sessions_clear_expired()


@shared_task
def notifications_email(notification_ids: list[int]) -> int:
    """E-mail these notifications (each at most once)."""
    return notifications.notifications_email_send(notification_ids=notification_ids)


@shared_task
def sale_followers_notify(sale_id: int, when: str) -> int:
    """Fan a sale's "opens soon" / "opened" notification out to the followers of its shops."""
    return notifications.sale_followers_notify(sale_id=sale_id, when=when)


def _as_of(now: str | None) -> datetime:
    return datetime.fromisoformat(now) if now else timezone.now()


@shared_task
def interest_profile_rebuild(user_id: int, now: str | None = None) -> int:
    """Rebuild one user's interest profile as of ``now`` (ISO 8601, fixed by the caller so a
    retry computes the same rows; None: when the task runs), then queue the rebuild of their
    "for you" feed as of the same moment, so the feed always follows the interests."""
    as_of = _as_of(now)
    weights = activity.interest_profile_rebuild(user_id=user_id, now=as_of)
    question_feed_rebuild.delay(user_id, as_of.isoformat())
    return len(weights)


@shared_task
def question_feed_rebuild(user_id: int, now: str | None = None) -> int:
    """Replace one user's precomputed "for you" entries as of ``now`` (ISO 8601; None: when the
    task runs). Idempotent for a given ``now``. Returns how many entries they have."""
    return len(feeds.question_feed_rebuild(user_id=user_id, now=_as_of(now)))


@shared_task
def interest_profiles_refresh(hours: int = 2) -> int:
    """Periodic: queue a rebuild (interests, then feed) for everyone with activity in the last
    ``hours`` (the nightly run passes the whole interest window so decay is applied to
    everyone). Returns how many."""
    now = timezone.now()
    user_ids = users_with_recent_activity(since=now - timedelta(hours=hours))
    for user_id in user_ids:
        interest_profile_rebuild.delay(user_id, now.isoformat())
    return len(user_ids)


@shared_task
def question_route(question_id: int) -> list[int]:
    """Invite recent buyers of the product to answer a new question (tops up to N; idempotent)."""
    return qa.question_route_to_buyers(question_id=question_id)


@shared_task(base=RetryingTask)
def bans_expire() -> int:
    """Every few minutes (beat): lift the bans whose time is up and restore what they hid
    (idempotent: a lifted ban is not lifted twice)."""
    from community.services import moderation

    return moderation.bans_expire()
