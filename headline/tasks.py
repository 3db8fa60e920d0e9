"""Headline Celery tasks: each takes ids, calls one service, and is idempotent (safe to retry;
the retry policy is core.tasks.RetryingTask). Queues (settings.CELERY_TASK_ROUTES): ``feeds``
for "for you" rebuilds and trending, ``notify`` for the follower fan-out, ``default`` for image
sizes and the topic clock."""

from datetime import datetime

from celery import shared_task
from django.utils import timezone

from headline.services import feeds, stories, topics


def _as_of(now: str | None) -> datetime:
    return datetime.fromisoformat(now) if now else timezone.now()


@shared_task
def story_image_sizes(image_id: int) -> bool:
    """Make the 320/960 px WebP display sizes of one story image (idempotent)."""
    return stories.story_image_generate_sizes(image_id=image_id)


@shared_task
def story_followers_notify(story_id: int) -> int:
    """Fan "<blogger> posted a story" out to the author's followers (once per follower)."""
    return stories.story_followers_notify(story_id=story_id)


@shared_task
def story_feed_rebuild(user_id: int, now: str | None = None) -> int:
    """Replace one user's "for you" stories as of ``now`` (ISO 8601, fixed by the caller so a
    retry writes the same rows; None: when the task runs). Returns how many entries they have."""
    return len(feeds.story_feed_rebuild(user_id=user_id, now=_as_of(now)))


@shared_task
def trending_refresh() -> int:
    """Periodic: re-rank trending stories and cache the ranking."""
    return len(feeds.trending_refresh(now=timezone.now()))


@shared_task
def topic_clock_tick() -> int:
    """Periodic: open the topics whose day has come (each once)."""
    return len(topics.topic_clock_tick())
