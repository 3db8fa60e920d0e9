"""Moderators' tools: schedule topics (cover through the image pipeline, one per day), feature
stories, hide/restore stories and comments with the shared mixin (counters kept, admin log)."""

from io import BytesIO

import pytest
from django.contrib import admin
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from core.admin import VisibilityActionsMixin
from headline.models import Story, StoryComment, Topic
from headline.selectors.stories import story_list_public
from headline.services.engagement import comment_post
from tests.community.factories import UserFactory, make_moderator
from tests.headline.factories import StoryFactory, TopicFactory
from tests.marketplace.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator(client):
    """A "Moderators" group member (not a superuser): hides and restores."""
    user = make_moderator()
    client.force_login(user)
    return user


@pytest.fixture
def editor(client):
    """Topics and featuring are editorial (change permissions), not moderation: a superuser."""
    user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def test_stories_and_comments_use_the_shared_hide_restore_mixin():
    for model in (Story, StoryComment):
        assert isinstance(admin.site.get_model_admin(model), VisibilityActionsMixin)


def test_hiding_a_story_in_admin_hides_it_everywhere_and_is_logged(client, moderator):
    story = StoryFactory()
    response = client.post("/admin/headline/story/", {"action": "hide", "_selected_action": [story.pk]}, follow=True)
    assert "1 story hidden." in response.content.decode()
    story.refresh_from_db()
    assert (story.visibility, story.visibility_changed_by) == ("hidden", moderator)
    assert not story_list_public().filter(pk=story.pk).exists()
    assert LogEntry.objects.filter(user=moderator, action_flag=CHANGE, object_id=str(story.pk)).exists()
    client.post("/admin/headline/story/", {"action": "restore", "_selected_action": [story.pk]})
    assert story_list_public().filter(pk=story.pk).exists()


def test_hiding_a_comment_keeps_the_comment_count(client, moderator):
    story = StoryFactory()
    comment = comment_post(author=UserFactory(), story=story, body="spam")
    client.post("/admin/headline/storycomment/", {"action": "hide", "_selected_action": [comment.pk]})
    assert Story.objects.get(pk=story.pk).comment_count == 0
    assert StoryComment.objects.get(pk=comment.pk).visibility == "hidden"


def test_a_moderator_neither_features_stories_nor_schedules_topics(client, moderator):
    story = StoryFactory()
    client.post("/admin/headline/story/", {"action": "feature", "_selected_action": [story.pk]})
    assert not Story.objects.get(pk=story.pk).featured
    assert client.get("/admin/headline/topic/add/").status_code == 403


def test_featuring_a_story(client, editor):
    story = StoryFactory()
    response = client.post("/admin/headline/story/", {"action": "feature", "_selected_action": [story.pk]}, follow=True)
    assert "1 story changed." in response.content.decode()
    assert Story.objects.get(pk=story.pk).featured


def _png():
    out = BytesIO()
    Image.new("RGB", (80, 40), "red").save(out, format="PNG")
    return SimpleUploadedFile("cover.png", out.getvalue(), content_type="image/png")


def test_scheduling_a_topic_with_a_cleaned_cover_and_featured_products(client, editor, media_root):
    product = ProductFactory()
    day = timezone.localdate() + timezone.timedelta(days=3)
    response = client.post(
        "/admin/headline/topic/add/",
        {
            "date": day.isoformat(),
            "title": "Gifts",
            "prompt": "Tell us.",
            "cover": _png(),
            "featured_products": [product.pk],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    topic = Topic.objects.get(date=day)
    assert topic.cover.name.endswith(".png") and "cover" not in topic.cover.name  # renamed when cleaned
    assert list(topic.featured_products.all()) == [product]


def test_a_second_topic_on_a_day_and_a_bad_cover_are_form_errors(client, editor, media_root):
    taken = TopicFactory()
    response = client.post(
        "/admin/headline/topic/add/", {"date": taken.date.isoformat(), "title": "Again", "prompt": "x"}
    )
    assert response.status_code == 200 and "already exists" in response.content.decode()
    bad = SimpleUploadedFile("cover.png", b"not an image", content_type="image/png")
    day = (timezone.localdate() + timezone.timedelta(days=9)).isoformat()
    response = client.post("/admin/headline/topic/add/", {"date": day, "title": "T", "prompt": "x", "cover": bad})
    assert response.status_code == 200 and not Topic.objects.filter(title="T").exists()
