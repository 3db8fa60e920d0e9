"""Feeds: following (only what you follow, stable cursor pages), "for you" (interest first,
with reasons, idempotent rebuilds, cold start = trending) and trending."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from core.visibility import Visibility
from headline.api_pagination import StoryCursorPagination
from headline.models import StoryFeedEntry
from headline.selectors import feeds
from headline.services.feeds import story_feed_rebuild, trending_refresh
from headline.services.stories import story_mentions_set, story_set_visibility
from tests.community.factories import (
    ActivityFactory,
    InterestProfileFactory,
    ShopFollowFactory,
    UserFactory,
    UserFollowFactory,
    make_purchase,
)
from tests.headline.factories import StoryFactory, StoryShopFactory, TopicFactory, story_about
from tests.marketplace.factories import CategoryFactory, ProductFactory, ShopFactory

pytestmark = pytest.mark.django_db


def ids(stories):
    return [s.pk for s in stories]


# --- following -------------------------------------------------------------------------------


def test_following_shows_only_followed_people_and_shops_newest_first(user):
    # given a followed person, a followed shop (its owner posts), and a stranger
    friend = UserFollowFactory(follower=user).user
    shop = ShopFollowFactory(user=user).shop
    now = timezone.now()
    by_friend = StoryFactory(author=friend, published_at=now - timedelta(hours=2))
    by_shop = StoryFactory(author=shop.owner, published_at=now - timedelta(hours=1))
    StoryFactory(published_at=now)  # a stranger's
    StoryShopFactory(shop=shop)  # about the shop, but not by it
    StoryFactory(author=friend, published_at=None)  # a draft
    StoryFactory(author=friend, visibility=Visibility.HIDDEN)
    # when the following feed is read
    stories = list(feeds.story_feed_following(user=user))
    # then only the friend's and the shop's public stories, newest first
    assert ids(stories) == [by_shop.pk, by_friend.pk]


def _page(user, cursor_url=None):
    factory = APIRequestFactory()
    request = Request(factory.get(cursor_url or "/api/v1/feed/following/?page_size=5"))
    paginator = StoryCursorPagination()
    items = paginator.paginate_queryset(feeds.story_feed_following(user=user), request)
    return [s.pk for s in items], paginator.get_next_link()


def test_following_pages_neither_repeat_nor_skip_while_stories_arrive(user):
    # given 12 stories by a followed person, some published at the same instant
    friend = UserFollowFactory(follower=user).user
    start = timezone.now() - timedelta(days=1)
    older = [StoryFactory(author=friend, published_at=start + timedelta(minutes=i // 2)) for i in range(12)]
    expected = [s.pk for s in sorted(older, key=lambda s: (s.published_at, s.pk), reverse=True)]
    # when the reader takes page 1, then three new stories arrive, then pages 2 and 3
    first, next_url = _page(user)
    for _ in range(3):
        StoryFactory(author=friend)
    second, next_url = _page(user, next_url)
    third, next_url = _page(user, next_url)
    # then the pages are exactly the older stories in order: no repeats, no gaps
    assert first + second + third == expected
    assert next_url is None


# --- for you ---------------------------------------------------------------------------------


@pytest.fixture
def jewellery():
    return CategoryFactory(name="Jewellery", slug="jewellery-t")


def test_a_jewellery_lover_gets_jewellery_stories_first_with_the_reason(user, jewellery):
    # given someone who bought jewellery (interest profile built from it)
    necklace = ProductFactory(category=jewellery)
    make_purchase(user, necklace)
    ActivityFactory(user=user, kind="bought", product=necklace, category=jewellery)
    InterestProfileFactory(user=user, category=jewellery, weight=5.0)
    # and popular stories about other things, one jewellery story
    popular = [story_about(ProductFactory(), like_count=50, comment_count=10) for _ in range(3)]
    about_pearls = story_about(ProductFactory(category=jewellery, title="Pearl studs"))
    # when their feed is rebuilt and read
    story_feed_rebuild(user_id=user.pk, now=timezone.now())
    stories = list(feeds.story_feed_for_you(user=user))
    # then the jewellery story leads, "because you bought Jewellery"
    assert stories[0].pk == about_pearls.pk
    assert (stories[0].reason, stories[0].reason_category_name) == ("bought", "Jewellery")
    assert {s.pk for s in stories[1:]} == {s.pk for s in popular}
    assert {s.reason for s in stories[1:]} == {"trending"}


def test_rebuilding_twice_changes_nothing(user, jewellery):
    InterestProfileFactory(user=user, category=jewellery, weight=5.0)
    story_about(ProductFactory(category=jewellery))
    StoryFactory(author=UserFollowFactory(follower=user).user)
    StoryFactory.create_batch(3)
    now = timezone.now()

    def stored():
        return list(
            StoryFeedEntry.objects.filter(user=user)
            .order_by("-score", "-story_id")
            .values_list("story_id", "score", "reason", "reason_category_id", "computed_at")
        )

    story_feed_rebuild(user_id=user.pk, now=now)
    first = stored()
    story_feed_rebuild(user_id=user.pk, now=now)
    assert stored() == first
    assert len(first) == 5
    assert [row[2] for row in first[:2]] == ["interest", "following"]


def test_reasons_for_follows_shops_and_todays_topic(user):
    shop = ShopFactory()
    ShopFollowFactory(user=user, shop=shop)
    topic = TopicFactory()
    about_shop = StoryFactory()
    story_mentions_set(story=about_shop, product_ids=[], shop_ids=[shop.pk])
    in_topic = StoryFactory(topic=topic)
    story_feed_rebuild(user_id=user.pk, now=timezone.now())
    reasons = dict(StoryFeedEntry.objects.filter(user=user).values_list("story_id", "reason"))
    assert reasons == {about_shop.pk: "shop", in_topic.pk: "topic"}


def test_followed_authors_older_stories_are_candidates_on_every_database(user, settings):
    # given two followed authors whose stories are older than the newest-stories window holds
    settings.HEADLINE_FEED_CANDIDATES = 2
    now = timezone.now()
    followed = [UserFollowFactory(follower=user).user for _ in range(2)]
    theirs = [StoryFactory(author=a, published_at=now - timedelta(days=2)) for a in followed]
    StoryFactory.create_batch(3, published_at=now - timedelta(hours=1))
    # when the feed is rebuilt (the per-author candidates are one UNION ALL on PostgreSQL and one
    # query per author where the database has no LIMIT inside a UNION: SQLite, `make run`)
    entries = story_feed_rebuild(user_id=user.pk, now=now)
    # then both followed authors' stories are in it, for that reason
    reasons = {e.story_id: e.reason for e in entries}
    assert {reasons.get(s.pk) for s in theirs} == {"following"}


def test_own_old_and_hidden_stories_are_left_out_and_the_feed_is_capped(user, settings):
    settings.HEADLINE_FEED_SIZE = 3
    StoryFactory(author=user)
    StoryFactory(published_at=timezone.now() - timedelta(days=settings.HEADLINE_FEED_DAYS + 1))
    fresh = StoryFactory.create_batch(4)
    entries = story_feed_rebuild(user_id=user.pk, now=timezone.now())
    assert len(entries) == 3 and {e.story_id for e in entries} <= {s.pk for s in fresh}
    # a story hidden after the rebuild drops out of the read at once
    hidden = entries[0].story
    story_set_visibility(obj=hidden, status=Visibility.HIDDEN, by=None)
    assert hidden.pk not in ids(feeds.story_feed_for_you(user=user))


def test_a_new_user_gets_trending(user):
    # given stories with different engagement
    quiet = StoryFactory(like_count=0)
    loved = StoryFactory(like_count=40, comment_count=5)
    # when someone without entries reads "for you"
    stories = list(feeds.story_feed_for_you(user=UserFactory()))
    # then they see trending, the most engaged first
    assert ids(stories) == [loved.pk, quiet.pk]
    assert {s.reason for s in stories} == {"trending"}


def test_an_inactive_user_gets_no_entries(user):
    StoryFactory()
    user.is_active = False
    user.save()
    assert story_feed_rebuild(user_id=user.pk, now=timezone.now()) == []


# --- trending --------------------------------------------------------------------------------


def test_trending_decays_with_age_and_is_cached(settings):
    now = timezone.now()
    old_hit = StoryFactory(like_count=30, published_at=now - timedelta(hours=48))
    fresh = StoryFactory(like_count=10, published_at=now - timedelta(hours=1))
    StoryFactory(like_count=1000, published_at=now - timedelta(days=5))  # outside the window
    assert trending_refresh(now=now) == [fresh.pk, old_hit.pk]
    # the cached ranking is what readers get; hidden stories drop out of it at once
    story_set_visibility(obj=fresh, status=Visibility.HIDDEN, by=None)
    assert ids(feeds.story_feed_trending()) == [old_hit.pk]
