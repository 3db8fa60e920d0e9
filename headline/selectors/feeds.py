"""Feeds: following (read on demand), "for you" (scored here, stored by the job in
``services.feeds``, read from the stored entries) and trending (ranked by a beat job, cached).

Speed: a "for you" rebuild scores a bounded candidate set — the ``HEADLINE_FEED_CANDIDATES``
most recent public stories (walked off the partial index ``story_public_recent``), recent
stories of the people the user follows (``story_author_recent``) and today's topic's most
liked (``story_topic_liked``) — so its cost per user does not grow with the number of stories.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.db.models import (
    Case,
    F,
    FilteredRelation,
    FloatField,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Cast, Ln
from django.utils import timezone

from community.models import ActivityKind, User
from community.selectors.activity import activity_list, interest_list
from community.selectors.people import followed_shop_list, following_list
from headline.models import FeedReason, Story, StoryFeedEntry, Topic
from headline.selectors.stories import story_cards, story_list_public, topic_get_today

#: "For you" weights. Interest weights are ~5 for a fresh purchase in a category and ~1 for a
#: view (community's interest profiles); following the author or a shop the story is about,
#: today's topic, engagement and freshness add to it.
FOLLOW_BONUS = 3.0
SHOP_BONUS = 2.5
TOPIC_BONUS = 1.0
ENGAGEMENT_WEIGHT = 0.5
#: (age under, bonus): a step function of age, the same in SQLite and PostgreSQL.
FRESHNESS = ((timedelta(hours=6), 1.5), (timedelta(hours=24), 1.0), (timedelta(hours=72), 0.5))
#: Candidate sources besides the newest stories: the latest FOLLOWED_PER_AUTHOR stories of up
#: to FOLLOWED_AUTHORS_MAX followed authors (most recently followed first), and today's topic's
#: TOPIC_TOP most liked.
FOLLOWED_AUTHORS_MAX = 100
FOLLOWED_PER_AUTHOR = 3
TOPIC_TOP = 50
TRENDING_CACHE_KEY = "headline:trending"
#: Trending: engagement weights and the window looked at.
TRENDING_DAYS = 3


def _newest(queryset: QuerySet[Story]) -> QuerySet[Story]:
    return queryset.order_by("-published_at", "-id")


# --- following -------------------------------------------------------------------------------


def story_feed_following(*, user: User, now: datetime | None = None) -> QuerySet[Story]:
    """Public stories by the people ``user`` follows and by the owners of the shops they
    follow, newest first (``-published_at, -id``: a total order, so cursor pages neither
    repeat nor skip while new stories arrive), as cards."""
    authors = Q(author_id__in=following_list(user=user).values("user_id")) | Q(
        author_id__in=followed_shop_list(user=user).values("shop__owner_id")
    )
    return _newest(story_cards(story_list_public().filter(authors), viewer=user, now=now))


# --- for you ---------------------------------------------------------------------------------


def _candidate_ids(*, user: User, now: datetime, topic: Topic | None, author_ids: list[int]) -> list[int]:
    """The bounded set a rebuild scores (see the module docstring): each source is an index
    range scan with a LIMIT, so none grows with the number of stories."""
    limit = settings.HEADLINE_FEED_CANDIDATES
    recent = story_list_public().filter(
        published_at__gte=now - timedelta(days=settings.HEADLINE_FEED_DAYS), published_at__lte=now
    )
    ids = set(_newest(recent).values_list("pk", flat=True)[:limit])
    # The latest few of each followed author (``story_author_recent``), one UNION ALL query.
    per_author = [
        _newest(recent.filter(author_id=author_id)).values_list("pk", flat=True)[:FOLLOWED_PER_AUTHOR]
        for author_id in author_ids[:FOLLOWED_AUTHORS_MAX]
    ]
    if per_author and connections[recent.db].features.supports_slicing_ordering_in_compound:
        ids.update(per_author[0].union(*per_author[1:], all=True))
    else:  # SQLite allows no LIMIT inside a UNION: one small query per author (the dev database)
        for query in per_author:
            ids.update(query)
    if topic is not None:
        ids.update(recent.filter(topic=topic).order_by("-like_count", "-id").values_list("pk", flat=True)[:TOPIC_TOP])
    return sorted(ids)


def _freshness(now: datetime) -> Case:
    return Case(
        *[When(published_at__gte=now - age, then=Value(bonus)) for age, bonus in FRESHNESS],
        default=Value(0.0),
        output_field=FloatField(),
    )


def _bonus(condition: Q, amount: float) -> Case:
    return Case(When(condition, then=Value(amount)), default=Value(0.0), output_field=FloatField())


def story_feed_score(*, user: User, now: datetime) -> QuerySet[Story]:
    """The "for you" scoring — the one place it lives; ``services.feeds.story_feed_rebuild``
    stores its top rows. The user's own small sets are read first (interest weights, whom and
    which shops they follow, categories they bought in, today's topic), then ONE query scores
    the bounded candidates (never the user's own stories) on the story's columns alone:

    ``score`` = interest (the user's weight for the story's category) + FOLLOW_BONUS if they
    follow the author + SHOP_BONUS if the story is by or mainly about a shop they follow +
    TOPIC_BONUS in today's topic + ENGAGEMENT_WEIGHT × ln(1 + likes + 2·comments + 3·orders)
    + freshness;

    ``reason`` is the first that applies of: bought (interest in a category they bought in),
    interest, following, shop, topic, trending. Deterministic for the same ``now`` and data.
    Run it in the job, never on a page read."""
    weights = dict(interest_list(user=user).values_list("category_id", "weight"))
    followed_ids = list(following_list(user=user).values_list("user_id", flat=True))
    shop_ids, owner_ids = [], []
    for shop_id, owner_id in followed_shop_list(user=user).values_list("shop_id", "shop__owner_id"):
        shop_ids.append(shop_id)
        owner_ids.append(owner_id)
    bought = set(
        activity_list(user=user).filter(kind=ActivityKind.BOUGHT).order_by().values_list("category_id", flat=True)
    )
    topic = topic_get_today(today=timezone.localdate(now))
    candidates = _candidate_ids(
        user=user, now=now, topic=topic, author_ids=list(dict.fromkeys(followed_ids + owner_ids))
    )
    interest = Case(
        *[When(category_id=category_id, then=Value(weight)) for category_id, weight in weights.items()],
        default=Value(0.0),
        output_field=FloatField(),
    )
    followed = Q(author_id__in=followed_ids)
    from_shop = Q(author_id__in=owner_ids) | Q(shop_id__in=shop_ids)
    in_topic = Q(topic_id=topic.pk) if topic else Q(pk__in=[])
    liked_categories = [c for c, w in weights.items() if w > 0]
    reasons = [
        When(Q(category_id__in=[c for c in liked_categories if c in bought]), then=Value(FeedReason.BOUGHT)),
        When(Q(category_id__in=liked_categories), then=Value(FeedReason.INTEREST)),
        When(followed, then=Value(FeedReason.FOLLOWING)),
        When(from_shop, then=Value(FeedReason.SHOP)),
        When(in_topic, then=Value(FeedReason.TOPIC)),
    ]
    engagement = Cast(F("like_count") + 2 * F("comment_count") + 3 * F("order_count"), FloatField())
    return (
        story_list_public()
        .filter(pk__in=candidates)
        .exclude(author=user)
        .annotate(
            score=(
                interest
                + _bonus(followed, FOLLOW_BONUS)
                + _bonus(from_shop, SHOP_BONUS)
                + _bonus(in_topic, TOPIC_BONUS)
                + Value(ENGAGEMENT_WEIGHT) * Ln(engagement + Value(1.0))
                + _freshness(now)
            ),
            reason=Case(*reasons, default=Value(FeedReason.TRENDING)),
        )
        .order_by("-score", "-published_at", "-id")
    )


def story_feed_for_you(*, user: User, now: datetime | None = None) -> QuerySet[Story]:
    """``user``'s "for you" stories from their precomputed entries, best first, as cards with
    ``reason`` and ``reason_category_name``: one walk of the ``(user, -score)`` index, at most
    ``HEADLINE_FEED_SIZE`` rows whatever the number of stories. Stories hidden since the
    rebuild drop out at once (the one visibility rule). Anonymous visitors and people with no
    entries yet (a cold start) get :func:`story_feed_trending`."""
    if not user.is_authenticated or not StoryFeedEntry.objects.filter(user=user).exists():
        return story_feed_trending(viewer=user, now=now)
    entry = FilteredRelation("feed_entries", condition=Q(feed_entries__user=user))
    return (
        story_cards(story_list_public().annotate(entry=entry).filter(entry__isnull=False), viewer=user, now=now)
        .annotate(
            score=F("entry__score"),
            reason=F("entry__reason"),
            reason_category_name=F("entry__reason_category__name"),
        )
        .order_by("-score", "-id")
    )


# --- trending --------------------------------------------------------------------------------


def trending_rank(*, now: datetime) -> list[int]:
    """Ids of the ``HEADLINE_TRENDING_SIZE`` trending stories as of ``now``: engagement
    (likes + 2·comments + 3·orders + clicks + views/10 + 1) halved every
    ``HEADLINE_TRENDING_HALF_LIFE_HOURS`` of age, over the ``HEADLINE_FEED_CANDIDATES`` newest
    public stories of the last ``TRENDING_DAYS`` days (a bounded read off the recent index)."""
    half_life = settings.HEADLINE_TRENDING_HALF_LIFE_HOURS * 3600
    rows = _newest(
        story_list_public().filter(published_at__gte=now - timedelta(days=TRENDING_DAYS), published_at__lte=now)
    ).values_list("pk", "published_at", "like_count", "comment_count", "order_count", "click_count", "view_count")
    scored = []
    for pk, published_at, likes, comments, orders, clicks, views in rows[: settings.HEADLINE_FEED_CANDIDATES]:
        engagement = likes + 2 * comments + 3 * orders + clicks + views / 10 + 1
        age = max(0.0, (now - published_at).total_seconds())
        scored.append((engagement * 0.5 ** (age / half_life), pk))
    scored.sort(key=lambda row: (-row[0], -row[1]))
    return [pk for _, pk in scored[: settings.HEADLINE_TRENDING_SIZE]]


def trending_ids() -> list[int]:
    """The cached trending ranking (recomputed by beat); ranked now when the cache is cold."""
    ids = cache.get(TRENDING_CACHE_KEY)
    if ids is None:
        ids = trending_rank(now=timezone.now())
        cache.set(TRENDING_CACHE_KEY, ids, timeout=settings.HEADLINE_TRENDING_CACHE_SECONDS)
    return ids


def story_feed_trending(*, viewer: User | None = None, now: datetime | None = None) -> QuerySet[Story]:
    """Trending stories as cards in ranking order, ``reason`` "trending". The ranking (ids) is
    cached, so a read is a lookup of at most ``HEADLINE_TRENDING_SIZE`` stories by primary key,
    and hidden ones drop out at once."""
    ids = trending_ids()
    position = Case(*[When(pk=pk, then=Value(i)) for i, pk in enumerate(ids)], default=Value(len(ids)))
    return (
        story_cards(story_list_public().filter(pk__in=ids), viewer=viewer, now=now)
        .annotate(
            position=position,
            reason=Value(FeedReason.TRENDING),
            reason_category_name=Value(None, output_field=IntegerField()),
        )
        .order_by("position", "-id")
    )
