"""Headline jobs through the configured broker (Redis in CI) and real workers: the "for you"
rebuild follows the interest-profile job, is idempotent and survives a worker process killed
halfway; the topic clock and trending; and the receivers of the order signals."""

import time

import pytest
from django.utils import timezone

from community.models import Notification, NotificationKind
from community.tasks import interest_profile_rebuild
from headline.models import Story, StoryFeedEntry, Topic
from headline.services import engagement, stories
from headline.services.topics import topic_clock_tick
from headline.tasks import story_feed_rebuild, story_followers_notify, trending_refresh
from headline.tasks import topic_clock_tick as topic_clock_task
from marketplace.services.checkout import order_place
from marketplace.services.orders import order_cancel
from tests.community.factories import ActivityFactory, UserFactory, UserFollowFactory
from tests.concurrency import wait_for
from tests.headline.factories import StoryFactory, TopicFactory, story_about
from tests.marketplace.factories import CategoryFactory, ProductFactory


@pytest.mark.django_db(transaction=True)
def test_the_story_feed_follows_the_interest_job_through_a_real_worker(celery_worker):
    # given someone who viewed jewellery, a jewellery story and another story
    jewellery = CategoryFactory(name="Jewellery", slug="jewellery-w")
    viewed = ActivityFactory(product=ProductFactory(category=jewellery), category=jewellery)
    about_pearls = story_about(ProductFactory(category=jewellery))
    StoryFactory(like_count=3)
    # when the interest job runs for them on the worker
    interest_profile_rebuild.delay(viewed.user_id)
    # then their interests are rebuilt, and after them (interest_profile_rebuilt) their stories
    entries = StoryFeedEntry.objects.filter(user=viewed.user)
    assert wait_for(lambda: entries.count() == 2), "the story feed was not rebuilt after the interests"
    assert entries.order_by("-score").first().story_id == about_pearls.pk
    assert entries.get(story=about_pearls).reason == "interest"


@pytest.mark.django_db
def test_the_rebuild_task_is_idempotent(user):
    StoryFactory.create_batch(3)
    now = timezone.now().isoformat()
    assert story_feed_rebuild.apply(args=[user.pk, now]).get() == 3
    first = list(StoryFeedEntry.objects.filter(user=user).values_list("story_id", "score", "reason"))
    assert story_feed_rebuild.apply(args=[user.pk, now]).get() == 3
    assert sorted(StoryFeedEntry.objects.filter(user=user).values_list("story_id", "score", "reason")) == sorted(first)


@pytest.mark.django_db
def test_the_topic_clock_opens_each_topic_once():
    today = TopicFactory()
    tomorrow = TopicFactory(date=timezone.localdate() + timezone.timedelta(days=1))
    assert topic_clock_tick() == [today.pk]
    assert topic_clock_tick() == []
    assert topic_clock_task.apply().get() == 0
    assert Topic.objects.get(pk=tomorrow.pk).opened_at is None
    later = timezone.now() + timezone.timedelta(days=1)
    assert topic_clock_tick(now=later) == [tomorrow.pk]


@pytest.mark.django_db
def test_trending_task_caches_the_ranking():
    StoryFactory(like_count=5)
    assert trending_refresh.apply().get() == 1


@pytest.mark.django_db
def test_an_order_placed_after_a_card_click_reaches_the_author_and_a_cancel_takes_it_back(
    user, django_capture_on_commit_callbacks
):
    # given a story about a product, and a reader who clicked its card
    product = ProductFactory(stock=5)
    story = story_about(product)
    engagement.story_click(story=story, user=user, viewer=f"u{user.pk}", product_id=product.pk)
    # when the reader places an order (order_placed is sent on commit)
    with django_capture_on_commit_callbacks(execute=True):
        (order,) = order_place(buyer=user, items=[(product.pk, 1)])
    # then the story counts one order; and cancelling it (order_cancelled) takes it back
    assert Story.objects.get(pk=story.pk).order_count == 1
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order=order, buyer=user)
    assert Story.objects.get(pk=story.pk).order_count == 0


@pytest.mark.django_db(transaction=True)
def test_a_bloggers_followers_are_notified_through_a_real_worker_once_per_post(celery_worker):
    # given a blogger with three followers (one of them inactive) and someone who follows another
    blogger = UserFactory()
    fans = [UserFollowFactory(user=blogger).follower for _ in range(2)]
    UserFollowFactory(user=blogger, follower=UserFactory(is_active=False))
    bystander = UserFollowFactory().follower

    def inbox():
        return Notification.objects.filter(kind=NotificationKind.STORY_POSTED)

    # when the blogger publishes a story (the fan-out is queued on commit and runs on the worker)
    story = stories.story_create(author=blogger, title="My pearl haul", body="b")
    # then each active follower gets one inbox entry about it, nobody else
    assert wait_for(lambda: inbox().count() == 2, timeout=90), "the followers were not notified"
    assert sorted(inbox().values_list("recipient_id", flat=True)) == sorted(f.pk for f in fans)
    assert bystander.pk not in inbox().values_list("recipient_id", flat=True)
    assert {n.url for n in inbox()} == {story.get_absolute_url()}
    # and an edit, or the job running again (a retry), notifies nobody twice
    stories.story_update(story=story, title="My pearl haul (updated)", body="b2")
    assert story_followers_notify.delay(story.pk).get(timeout=30) == 0
    assert inbox().count() == 2
    # a draft notifies nobody until it is published; publishing it notifies once
    draft = stories.story_create(author=blogger, title="Later", body="b", publish=False)
    time.sleep(1)
    assert inbox().count() == 2
    stories.story_publish(story=draft)
    assert wait_for(lambda: inbox().count() == 4, timeout=90), "publishing the draft did not notify"
    assert inbox().filter(url=draft.get_absolute_url()).count() == 2
