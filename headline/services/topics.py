"""Topics of the day: moderators schedule them (admin, through :func:`topic_save`); the topic
clock opens each on its day.

Whether a topic is *today's* is derived from its date at read time (like the marketplace's live
prices), so a late clock never shows the wrong topic. The clock only does the side effects of a
day's opening, once: ``opened_at`` flips with ``UPDATE … WHERE opened_at IS NULL`` (the sale
clock's pattern), and only the run that flipped it re-ranks trending.
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.cache import bump_on_commit
from core.errors import ApplicationError
from headline.caching import HOME_TAG
from headline.errors import StoryErrorCode
from headline.models import Topic
from headline.services.feeds import trending_refresh
from marketplace.services.images import CleanImage


@transaction.atomic
def topic_save(*, topic: Topic, cover: CleanImage | None = None) -> Topic:
    """Save a moderator's topic (one per date); ``cover`` is a new cover image already cleaned
    by the marketplace's ``image_clean`` (size, format, pixels, metadata stripped). Today's
    topic leads the home page, so its section re-renders after commit."""
    clash = Topic.objects.filter(date=topic.date).exclude(pk=topic.pk).exists()
    if clash:
        raise ApplicationError(_("There is already a topic on that day."), code=StoryErrorCode.TOPIC_DATE_TAKEN)
    if cover is not None:
        topic.cover.save(cover.content.name, cover.content, save=False)
    topic.save()
    bump_on_commit(HOME_TAG)
    return topic


def topic_clock_tick(*, now: datetime | None = None) -> list[int]:
    """Open every topic whose day has come and that is not open yet (each exactly once, even
    with two beats or a retry); after an opening the home section re-renders and trending is
    re-ranked, so "popular in today's topic" refers to the new topic. Returns the ids opened."""
    now = now or timezone.now()
    opened = []
    due = Topic.objects.filter(opened_at__isnull=True, date__lte=timezone.localdate(now)).values_list("pk", flat=True)
    for topic_id in due:
        if Topic.objects.filter(pk=topic_id, opened_at__isnull=True).update(opened_at=now):
            opened.append(topic_id)
    if opened:
        bump_on_commit(HOME_TAG)  # the home page leads with the new day's topic
        transaction.on_commit(lambda: trending_refresh(now=now), robust=True)
    return opened
