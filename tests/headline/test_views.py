"""Headline pages: story, topic, feeds, posting, likes, comments, the counting redirect; the
body renders inert; query counts flat from 3 to 12 stories."""

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from core.visibility import Visibility
from headline.models import Story, StoryClick, StoryComment
from headline.services.feeds import story_feed_rebuild
from headline.services.stories import story_create
from tests.community.factories import UserFactory, UserFollowFactory
from tests.headline.factories import StoryCommentFactory, StoryFactory, StoryImageFactory, TopicFactory, story_about
from tests.headline.inert import HOSTILE_BODY, dangerous_parts
from tests.marketplace.factories import ProductFactory, ShopFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def story_part(html: str) -> str:
    """The story's own body on its page."""
    return html.split('<div class="story-body">', 1)[1].split("</div>", 1)[0]


def test_a_hostile_story_body_is_inert_on_the_page(client, user):
    story = story_create(author=user, title="Hi", body=HOSTILE_BODY)
    html = client.get(story.get_absolute_url()).content.decode()
    assert dangerous_parts(story_part(html)) == []
    assert "<strong>friends</strong>" in story_part(html)


def test_the_story_page_shows_cards_with_live_prices_and_counts_views_once(client, user, media_root):
    product = ProductFactory(title="Pearl studs", price="88.00")
    story = story_about(product, title="My studs")
    StoryImageFactory(story=story)
    url = story.get_absolute_url()
    html = client.get(url).content.decode()
    client.get(url)
    assert "My studs" in html and "Pearl studs" in html and "¥88.00" in html
    assert reverse("headline:story_go_product", args=[story.pk, product.pk]) in html
    assert 'class="story-gallery"' in html
    assert Story.objects.get(pk=story.pk).view_count == 1
    # and a share link: the story's absolute address, ready to copy
    assert f'id="share-url" type="url" value="http://testserver{url}"' in html


def test_past_topics_stay_browsable_and_a_topic_sorts_newest_or_most_liked(client):
    from datetime import timedelta

    from django.utils import timezone

    last_week = TopicFactory(date=timezone.localdate() - timedelta(days=7), title="Pearl diaries")
    now = timezone.now()
    older_loved = StoryFactory(
        topic=last_week, title="Older but loved", like_count=9, published_at=now - timedelta(hours=5)
    )
    newer_quiet = StoryFactory(topic=last_week, title="Newer and quiet", like_count=1, published_at=now)
    assert "Pearl diaries" in client.get(reverse("headline:topics")).content.decode()

    def titles(order: str) -> list[str]:
        html = client.get(last_week.get_absolute_url() + order).content.decode()
        return sorted((html.index(s.title), s.title) for s in (older_loved, newer_quiet))

    assert [t for _, t in titles("")] == ["Newer and quiet", "Older but loved"]
    assert [t for _, t in titles("?order=liked")] == ["Older but loved", "Newer and quiet"]


def test_hidden_drafts_and_removed_stories_are_404(client):
    for story in (
        StoryFactory(visibility=Visibility.HIDDEN),
        StoryFactory(published_at=None),
        StoryFactory(visibility=Visibility.REMOVED),
    ):
        assert client.get(story.get_absolute_url()).status_code == 404


def test_posting_a_story_with_an_image_a_product_and_a_topic(signed_in, media_root, user):
    # given today's topic and a product
    topic, product = TopicFactory(), ProductFactory()
    out = BytesIO()
    Image.new("RGB", (30, 20), "red").save(out, format="PNG")
    # when the form is posted
    response = signed_in.post(
        reverse("headline:story_create"),
        {
            "title": "Pearls for my mother",
            "body": "She *loved* them.",
            "topic": topic.pk,
            "products": f"/products/{product.pk}/",
            "shops": "",
            "images": [SimpleUploadedFile("p.png", out.getvalue(), content_type="image/png")],
        },
    )
    # then the story is published in the topic, with its image and product card
    story = Story.objects.get(author=user)
    assert response.status_code == 302 and response.url == story.get_absolute_url()
    assert story.topic == topic and story.images.count() == 1
    assert list(story.product_mentions.values_list("product_id", flat=True)) == [product.pk]
    assert story.pk in [s.pk for s in signed_in.get(topic.get_absolute_url()).context["page"]]


def test_the_form_shows_errors_and_keeps_the_input(signed_in):
    response = signed_in.post(reverse("headline:story_create"), {"title": "T", "body": "B", "products": "not-a-link"})
    assert response.status_code == 200
    assert "is not a product link or number" in response.content.decode()
    huge = {"title": "T", "body": "B", "products": "99999999999999999999999"}  # an OverflowError on SQLite
    assert "is not a product link or number" in signed_in.post(reverse("headline:story_create"), huge).content.decode()
    response = signed_in.post(reverse("headline:story_create"), {"title": "T", "body": "B", "products": "999999"})
    assert "A mentioned product is not on sale." in response.content.decode()
    response = signed_in.post(reverse("headline:story_create"), {"title": "T", "body": "B", "shops": "/shops/nope/"})
    assert "No open shop at" in response.content.decode()
    assert not Story.objects.exists()


def test_drafts_are_saved_edited_and_published(signed_in, user):
    signed_in.post(reverse("headline:story_create"), {"title": "Draft", "body": "later", "draft": "1"})
    story = Story.objects.get(author=user)
    assert story.is_draft
    assert signed_in.get(reverse("headline:drafts")).content.decode().count("Draft") >= 1
    response = signed_in.post(
        reverse("headline:story_edit", args=[story.pk]), {"title": "Now", "body": "done", "publish": "1"}
    )
    story.refresh_from_db()
    assert response.status_code == 302 and not story.is_draft and story.title == "Now"


def test_others_cannot_edit_or_delete(signed_in):
    story = StoryFactory()
    assert signed_in.get(reverse("headline:story_edit", args=[story.pk])).status_code == 404
    assert signed_in.post(reverse("headline:story_delete", args=[story.pk])).status_code == 404


def test_like_unlike_and_comment_from_the_page(signed_in, user):
    story = StoryFactory()
    signed_in.post(reverse("headline:story_like", args=[story.pk]))
    signed_in.post(reverse("headline:story_like", args=[story.pk]))
    assert Story.objects.get(pk=story.pk).like_count == 1
    assert 'aria-pressed="true"' in signed_in.get(story.get_absolute_url()).content.decode()
    signed_in.post(reverse("headline:story_like", args=[story.pk]), {"action": "unlike"})
    assert Story.objects.get(pk=story.pk).like_count == 0
    response = signed_in.post(reverse("headline:comment_post", args=[story.pk]), {"body": "<b>Lovely</b>"})
    comment = StoryComment.objects.get(story=story)
    assert response.url.endswith(f"#comment-{comment.pk}")
    html = signed_in.get(story.get_absolute_url()).content.decode()
    assert "&lt;b&gt;Lovely&lt;/b&gt;" in html
    signed_in.post(reverse("headline:comment_post", args=[story.pk]), {"body": "reply", "parent": comment.pk})
    assert StoryComment.objects.get(body="reply").parent_id == comment.pk


def test_the_card_redirect_counts_and_goes_to_the_product(signed_in, user):
    product, shop = ProductFactory(), ShopFactory()
    story = story_about(product)
    story.shop_mentions.create(shop=shop)
    response = signed_in.get(reverse("headline:story_go_product", args=[story.pk, product.pk]))
    assert response.status_code == 302 and response.url == product.get_absolute_url()
    response = signed_in.get(reverse("headline:story_go_shop", args=[story.pk, shop.pk]))
    assert response.url == shop.get_absolute_url()
    assert Story.objects.get(pk=story.pk).click_count == 2
    assert StoryClick.objects.filter(user=user).count() == 2
    other = ProductFactory()
    assert signed_in.get(reverse("headline:story_go_product", args=[story.pk, other.pk])).status_code == 404


def test_the_following_feed_needs_a_login(client):
    response = client.get(reverse("headline:feed_following"))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_for_you_shows_reasons(signed_in, user):
    story = StoryFactory(author=UserFollowFactory(follower=user).user)
    story_feed_rebuild(user_id=user.pk, now=story.published_at)
    html = signed_in.get(reverse("headline:feed_for_you")).content.decode()
    assert 'data-reason="following"' in html and "From someone you follow" in html


# --- query counts at two sizes ---------------------------------------------------------------


def _stories(n, **kwargs):
    made = []
    for _ in range(n):
        story = story_about(ProductFactory(), **kwargs)
        story.shop_mentions.create(shop=ShopFactory())
        StoryCommentFactory(story=story)
        made.append(story)
    return made


@pytest.mark.parametrize("n", [3, 12])
def test_topic_page_query_count_is_flat(client, django_assert_num_queries, n):
    topic = TopicFactory()
    _stories(n, topic=topic)
    with django_assert_num_queries(7):
        # topic, its featured products, count, stories, product mentions, products, shop mentions
        assert client.get(topic.get_absolute_url() + "?order=liked").status_code == 200


@pytest.mark.parametrize("n", [3, 12])
def test_story_page_query_count_is_flat(client, django_assert_num_queries, n):
    story = _stories(1)[0]
    for _ in range(n):
        StoryImageFactory(story=story)
        parent = StoryCommentFactory(story=story)
        StoryCommentFactory(story=story, parent=parent)
    with django_assert_num_queries(8):
        # story, product mentions, products, shop mentions, images, the view, comments, replies
        assert client.get(story.get_absolute_url()).status_code == 200


@pytest.mark.parametrize("n", [3, 12])
@pytest.mark.parametrize("kind", ["following", "for-you", "trending"])
def test_feed_pages_query_count_is_flat(client, django_assert_num_queries, n, kind):
    reader = UserFactory()
    friend = UserFollowFactory(follower=reader).user
    _stories(n, author=friend)
    story_feed_rebuild(user_id=reader.pk, now=Story.objects.latest("published_at").published_at)
    client.force_login(reader)
    url = reverse(
        {"following": "headline:feed_following", "for-you": "headline:feed_for_you"}.get(kind, "headline:feed_trending")
    )
    with django_assert_num_queries({"following": 5, "for-you": 7, "trending": 7}[kind]):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("n", [3, 12])
def test_topic_list_query_count_is_flat(client, django_assert_num_queries, n):
    from datetime import timedelta

    from django.utils import timezone

    for i in range(n):
        _stories(1, topic=TopicFactory(date=timezone.localdate() - timedelta(days=i)))
    with django_assert_num_queries(2):
        assert client.get(reverse("headline:topics")).status_code == 200
