"""Posting, editing, deleting and moderating stories; images; the follower fan-out."""

from datetime import timedelta
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from community.models import Notification, NotificationKind
from core.errors import ApplicationError
from core.visibility import Visibility
from headline.models import Story, StoryImage
from headline.selectors.stories import story_list_public
from headline.services import stories as services
from tests.community.factories import UserFactory, UserFollowFactory
from tests.headline.factories import StoryFactory, TopicFactory
from tests.marketplace.factories import ProductFactory, ShopFactory

pytestmark = pytest.mark.django_db


def png(name="photo.png", size=(40, 30)):
    out = BytesIO()
    Image.new("RGB", size, "green").save(out, format="PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def test_a_published_story_renders_its_body_and_keeps_its_mentions(user):
    # given a public product, a shop and today's topic
    product, shop, topic = ProductFactory(), ShopFactory(), TopicFactory()
    # when the user posts a story about them
    story = services.story_create(
        author=user,
        title="My pearl earrings",
        body="They are **lovely**.",
        topic_id=topic.pk,
        product_ids=[product.pk, product.pk],
        shop_ids=[shop.pk],
    )
    # then it is public, rendered, in the topic and mentions each once
    assert story_list_public().filter(pk=story.pk).exists()
    assert story.body_html == "<p>They are <strong>lovely</strong>.</p>\n"
    assert story.topic == topic
    assert list(story.product_mentions.values_list("product_id", flat=True)) == [product.pk]
    assert list(story.shop_mentions.values_list("shop_id", flat=True)) == [shop.pk]


def test_a_draft_is_not_public_until_published(user):
    story = services.story_create(author=user, title="Draft", body="Not yet.", publish=False)
    assert story.is_draft and not story_list_public().filter(pk=story.pk).exists()
    assert services.story_publish(story=story) is True
    assert services.story_publish(story=story) is False  # once
    assert story_list_public().filter(pk=story.pk).exists()


@pytest.mark.parametrize(
    "kwargs, code",
    [
        ({"title": "", "body": "x"}, "title_required"),
        ({"title": "x" * 121, "body": "x"}, "title_too_long"),
        ({"title": "t", "body": "  "}, "body_required"),
        ({"title": "t", "body": "x", "topic_id": 999999}, "topic_not_found"),
        ({"title": "t", "body": "x", "product_ids": list(range(1, 12))}, "too_many_mentions"),
    ],
)
def test_bad_input_is_refused_with_a_clear_error(user, kwargs, code):
    with pytest.raises(ApplicationError) as err:
        services.story_create(author=user, **kwargs)
    assert err.value.code == code and err.value.status == 400
    assert not Story.objects.exists()


def test_hidden_products_and_future_topics_cannot_be_mentioned(user):
    hidden = ProductFactory(status="hidden")
    future = TopicFactory(date=timezone.localdate() + timedelta(days=1))
    with pytest.raises(ApplicationError) as err:
        services.story_create(author=user, title="t", body="b", product_ids=[hidden.pk])
    assert err.value.code == "product_not_found" and err.value.extra == {"products": [hidden.pk]}
    with pytest.raises(ApplicationError) as err:
        services.story_create(author=user, title="t", body="b", topic_id=future.pk)
    assert err.value.code == "topic_not_found"


def test_edit_rerenders_and_replaces_mentions(user):
    first, second = ProductFactory(), ProductFactory()
    story = services.story_create(author=user, title="t", body="old", product_ids=[first.pk])
    services.story_update(story=story, title="New title", body="_new_", product_ids=[second.pk])
    story.refresh_from_db()
    assert (story.title, story.body_html) == ("New title", "<p><em>new</em></p>\n")
    assert list(story.product_mentions.values_list("product_id", flat=True)) == [second.pk]


def test_delete_is_soft_and_visibility_changes_are_recorded(user):
    story = StoryFactory(author=user)
    moderator = UserFactory(is_staff=True)
    assert services.story_set_visibility(obj=story, status=Visibility.HIDDEN, by=moderator, reason="spam")
    story.refresh_from_db()
    assert (story.visibility, story.visibility_changed_by, story.visibility_reason) == ("hidden", moderator, "spam")
    assert not story_list_public().filter(pk=story.pk).exists()
    assert services.story_set_visibility(obj=story, status=Visibility.VISIBLE, by=moderator)
    assert services.story_delete(story=story, by=user)
    assert Story.objects.get(pk=story.pk).visibility == Visibility.REMOVED  # still there, shown nowhere
    with pytest.raises(ApplicationError):
        services.story_update(story=story, title="t", body="b")


def test_a_banned_authors_stories_vanish(user):
    story = StoryFactory(author=user)
    user.is_active = False
    user.save()
    assert not story_list_public().filter(pk=story.pk).exists()


def test_images_are_cleaned_capped_at_nine_and_sized(
    user, media_root, celery_eager, django_capture_on_commit_callbacks
):
    # given a story with nine images (display sizes made by the task, run in place on commit)
    with django_capture_on_commit_callbacks(execute=True):
        story = services.story_create(author=user, title="Pics", body="b", images=[png() for _ in range(9)])
    images = list(story.images.all())
    assert len(images) == 9 and [i.position for i in images] == list(range(9))
    assert all(i.image_320 and i.image_960 for i in images)
    assert images[0].image.name.endswith(".png") and "photo" not in images[0].image.name
    # when a tenth is added, then it is refused
    with pytest.raises(ApplicationError) as err:
        services.story_image_add(story=story, upload=png())
    assert err.value.code == "too_many_images"
    # and a file that is not an image is refused by the marketplace's pipeline
    with pytest.raises(ApplicationError) as err:
        services.story_image_add(story=StoryFactory(author=user), upload=SimpleUploadedFile("x.png", b"not an image"))
    assert err.value.code == "image_invalid"
    # deleting one closes the gap
    services.story_image_delete(image=images[0])
    assert list(StoryImage.objects.filter(story=story).values_list("position", flat=True)) == list(range(8))
    assert services.story_image_generate_sizes(image_id=images[1].pk) is False  # idempotent


def test_followers_are_notified_once_when_a_blogger_posts(django_capture_on_commit_callbacks):
    # given a blogger with two active followers and one inactive
    blogger = UserFactory()
    fans = [UserFollowFactory(user=blogger).follower for _ in range(2)]
    UserFollowFactory(user=blogger, follower=UserFactory(is_active=False))
    # when they publish (the fan-out is queued on commit)
    with django_capture_on_commit_callbacks() as callbacks:
        story = services.story_create(author=blogger, title="New post", body="b")
    assert len(callbacks) >= 1
    # and the fan-out runs twice (a retry)
    assert services.story_followers_notify(story_id=story.pk) == 2
    assert services.story_followers_notify(story_id=story.pk) == 0
    # then each follower has one inbox entry linking to the story
    inbox = Notification.objects.filter(kind=NotificationKind.STORY_POSTED)
    assert sorted(inbox.values_list("recipient_id", flat=True)) == sorted(f.pk for f in fans)
    assert {n.url for n in inbox} == {story.get_absolute_url()}


def test_no_fan_out_for_a_hidden_story():
    blogger = UserFactory()
    UserFollowFactory(user=blogger)
    story = StoryFactory(author=blogger, visibility=Visibility.HIDDEN)
    assert services.story_followers_notify(story_id=story.pk) == 0
