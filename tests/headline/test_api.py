"""The Headline API: every endpoint of the issue, errors in the one JSON body, the body inert,
query counts flat from 3 to 12 stories, all in the OpenAPI schema."""

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from headline.models import Story, StoryComment
from headline.services.feeds import story_feed_rebuild
from tests.community.factories import UserFactory, UserFollowFactory
from tests.headline.factories import StoryCommentFactory, StoryFactory, TopicFactory, story_about
from tests.headline.inert import HOSTILE_BODY, dangerous_parts
from tests.marketplace.factories import ProductFactory, ShopFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(api_client, user):
    api_client.force_authenticate(user)
    return api_client


def png():
    out = BytesIO()
    Image.new("RGB", (20, 20), "blue").save(out, format="PNG")
    return SimpleUploadedFile("x.png", out.getvalue(), content_type="image/png")


def test_create_a_story_and_read_it_back_inert(api, user):
    product, shop, topic = ProductFactory(price="50.00"), ShopFactory(), TopicFactory()
    response = api.post(
        "/api/v1/stories/",
        {"title": "Hi", "body": HOSTILE_BODY, "topic": topic.pk, "products": [product.pk], "shops": [shop.pk]},
        format="json",
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert dangerous_parts(data["body_html"]) == []
    assert data["topic"]["id"] == topic.pk
    assert data["products"][0]["effective_price"] == "50.00"
    assert data["products"][0]["click_url"] == f"/stories/{data['id']}/go/product/{product.pk}/"
    assert data["shops"][0]["slug"] == shop.slug
    # the Markdown source goes back only to its author
    assert data["body"] == HOSTILE_BODY
    anonymous = api.__class__().get(f"/api/v1/stories/{data['id']}/").json()
    assert anonymous["body"] is None and dangerous_parts(anonymous["body_html"]) == []


def test_multipart_create_with_images_and_drafts(api, user, media_root):
    response = api.post(
        "/api/v1/stories/",
        {"title": "Pics", "body": "b", "images": [png(), png()], "publish": "false"},
        format="multipart",
    )
    assert response.status_code == 201 and response.json()["draft"] is True
    story = Story.objects.get(author=user)
    assert story.is_draft and story.images.count() == 2
    assert api.get(f"/api/v1/stories/{story.pk}/").status_code == 404  # drafts are private
    response = api.post(f"/api/v1/stories/{story.pk}/images/", {"image": png()}, format="multipart")
    assert response.status_code == 201 and response.json()["width"] == 20
    response = api.patch(
        f"/api/v1/stories/{story.pk}/", {"title": "Pics", "body": "now", "publish": True}, format="json"
    )
    assert response.status_code == 200 and len(response.json()["images"]) == 3


def test_errors_use_the_one_json_body(api, user):
    response = api.post("/api/v1/stories/", {"title": "", "body": ""}, format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid"
    response = api.post("/api/v1/stories/", {"title": "t", "body": "b", "products": [999999]}, format="json")
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "product_not_found",
        "message": "A mentioned product is not on sale.",
        "products": [999999],
    }
    other = StoryFactory()
    assert api.patch(f"/api/v1/stories/{other.pk}/", {"title": "x", "body": "y"}, format="json").status_code == 404
    assert api.delete(f"/api/v1/stories/{other.pk}/").status_code == 404
    assert api.post(f"/api/v1/stories/{other.pk}/images/", {"image": png()}, format="multipart").status_code == 404
    assert api.__class__().post("/api/v1/stories/", {}, format="json").status_code == 401


def test_like_is_idempotent_and_undoable(api):
    story = StoryFactory()
    assert api.post(f"/api/v1/stories/{story.pk}/like/").json() == {"liked": True, "like_count": 1}
    assert api.post(f"/api/v1/stories/{story.pk}/like/").json() == {"liked": True, "like_count": 1}
    assert api.delete(f"/api/v1/stories/{story.pk}/like/").json() == {"liked": False, "like_count": 0}
    assert api.get(f"/api/v1/stories/{story.pk}/").json()["liked"] is False


def test_comments_and_replies(api):
    story = StoryFactory()
    top = api.post(f"/api/v1/stories/{story.pk}/comments/", {"body": "nice"}, format="json").json()
    api.post(f"/api/v1/stories/{story.pk}/comments/", {"body": "thanks", "parent": top["id"]}, format="json")
    threads = api.get(f"/api/v1/stories/{story.pk}/comments/").json()["results"]
    assert [(t["body"], [r["body"] for r in t["replies"]]) for t in threads] == [("nice", ["thanks"])]
    response = api.post(f"/api/v1/stories/{story.pk}/comments/", {"body": ""}, format="json")
    assert response.status_code == 400 and not StoryComment.objects.filter(body="").exists()


def test_delete_is_soft(api, user):
    story = StoryFactory(author=user)
    assert api.delete(f"/api/v1/stories/{story.pk}/").status_code == 204
    assert Story.objects.get(pk=story.pk).visibility == "removed"
    assert api.get(f"/api/v1/stories/{story.pk}/").status_code == 404


def test_topics_today_and_a_topics_stories(api):
    topic = TopicFactory()
    liked = StoryFactory(topic=topic, like_count=9)
    newer = StoryFactory(topic=topic)
    TopicFactory(date=timezone.localdate() + timezone.timedelta(days=1))  # not public yet
    assert [t["id"] for t in api.get("/api/v1/topics/").json()["results"]] == [topic.pk]
    today = api.get("/api/v1/topics/today/").json()
    assert today["topic"]["id"] == topic.pk and today["best_stories"][0]["id"] == liked.pk
    day = topic.date.isoformat()
    assert [s["id"] for s in api.get(f"/api/v1/topics/{day}/stories/").json()["results"]] == [newer.pk, liked.pk]
    liked_first = api.get(f"/api/v1/topics/{day}/stories/?order=liked").json()["results"]
    assert [s["id"] for s in liked_first] == [liked.pk, newer.pk]
    assert api.get("/api/v1/topics/not-a-date/stories/").status_code == 404


def test_feeds(api, user):
    friend = UserFollowFactory(follower=user).user
    story = StoryFactory(author=friend)
    StoryFactory()
    following = api.get("/api/v1/feed/following/").json()
    assert [s["id"] for s in following["results"]] == [story.pk] and "next" in following
    story_feed_rebuild(user_id=user.pk, now=timezone.now())
    for_you = api.get("/api/v1/feed/for-you/").json()["results"]
    assert for_you[0]["id"] == story.pk and for_you[0]["reason"] == "following"
    trending = api.get("/api/v1/feed/trending/").json()["results"]
    assert {s["reason"] for s in trending} == {"trending"} and len(trending) == 2
    assert api.__class__().get("/api/v1/feed/following/").status_code == 401


def test_every_endpoint_is_in_the_schema(api):
    paths = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()["paths"]
    for path in [
        "/api/v1/topics/",
        "/api/v1/topics/today/",
        "/api/v1/topics/{day}/stories/",
        "/api/v1/stories/",
        "/api/v1/stories/{id}/",
        "/api/v1/stories/{id}/like/",
        "/api/v1/stories/{id}/comments/",
        "/api/v1/stories/{id}/images/",
        "/api/v1/feed/following/",
        "/api/v1/feed/for-you/",
        "/api/v1/feed/trending/",
    ]:
        assert path in paths, path


@pytest.mark.parametrize("n", [3, 12])
@pytest.mark.parametrize(
    "url, queries",
    [
        ("/api/v1/stories/", 5),
        ("/api/v1/feed/following/", 4),
        ("/api/v1/feed/for-you/", 6),
        ("/api/v1/feed/trending/", 6),
        ("/api/v1/topics/", 2),
    ],
)
def test_list_endpoints_query_count_is_flat(api_client, django_assert_num_queries, n, url, queries):
    reader = UserFactory()
    friend = UserFollowFactory(follower=reader).user
    topic = TopicFactory()
    for _ in range(n):
        story = story_about(ProductFactory(), author=friend, topic=topic)
        story.shop_mentions.create(shop=ShopFactory())
        StoryCommentFactory(story=story)
    story_feed_rebuild(user_id=reader.pk, now=timezone.now())
    api_client.force_authenticate(reader)
    with django_assert_num_queries(queries):
        assert api_client.get(url).status_code == 200
