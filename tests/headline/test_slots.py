"""What headline shows on other apps' pages through the page slots: today's topic and its best
stories lead the home page; "stories about this" on product and shop pages; a blogger's stories
and figures on their profile. Hidden stories vanish from cached pages at once (tag bumps); the
home page's query count is pinned at two sizes."""

import pytest

from core.visibility import Visibility
from headline.services.stories import story_create, story_set_featured, story_set_visibility
from tests.community.factories import UserFactory, UserFollowFactory
from tests.headline.factories import StoryFactory, TopicFactory, story_about
from tests.marketplace.factories import ProductFactory, ShopFactory

pytestmark = pytest.mark.django_db


def html(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_todays_topic_and_its_best_stories_lead_the_home_page(client):
    topic = TopicFactory(title="My buy of the year")
    StoryFactory(topic=topic, title="Most liked", like_count=9)
    featured = StoryFactory(topic=topic, title="Featured one", like_count=1)
    story_set_featured(story=featured, featured=True)
    page = html(client, "/")
    assert "Today&#x27;s topic" in page or "Today's topic" in page
    assert "My buy of the year" in page
    assert page.index("Featured one") < page.index("Most liked")
    # and it comes before the marketplace's sections
    assert page.index("My buy of the year") < page.index('id="home-market-title"')


def test_a_hidden_story_leaves_the_cached_home_page_at_once(client, user, django_capture_on_commit_callbacks):
    topic = TopicFactory()
    with django_capture_on_commit_callbacks(execute=True):
        story = story_create(author=user, title="Soon hidden", body="b", topic_id=topic.pk)
    assert "Soon hidden" in html(client, "/")
    assert "Soon hidden" in html(client, "/")  # served from the section's cache
    with django_capture_on_commit_callbacks(execute=True):
        story_set_visibility(obj=story, status=Visibility.HIDDEN, by=None)
    assert "Soon hidden" not in html(client, "/")


def test_product_and_shop_pages_show_stories_about_them_and_drop_hidden_ones(
    client, user, django_capture_on_commit_callbacks
):
    product = ProductFactory()
    assert "Stories about this" in html(client, product.get_absolute_url())  # cached before the story
    with django_capture_on_commit_callbacks(execute=True):
        story = story_create(author=user, title="About the product", body="b", product_ids=[product.pk])
    assert "About the product" in html(client, product.get_absolute_url())
    assert "About the product" in html(client, product.shop.get_absolute_url())
    with django_capture_on_commit_callbacks(execute=True):
        story_set_visibility(obj=story, status=Visibility.HIDDEN, by=None)
    assert "About the product" not in html(client, product.get_absolute_url())
    assert "About the product" not in html(client, product.shop.get_absolute_url())


def test_the_profile_shows_a_bloggers_stories_and_what_they_sent_to_shops(client):
    blogger = UserFactory()
    product = ProductFactory()
    story = story_about(product, author=blogger, like_count=4, click_count=3, order_count=2)
    page = html(client, blogger.get_absolute_url())
    assert story.title in page
    assert "<strong data-clicks>3</strong>" in page and "<strong data-orders>2</strong>" in page


@pytest.mark.parametrize("n", [3, 12])
def test_home_page_query_count_is_flat(client, django_assert_num_queries, n):
    topic = TopicFactory()
    for _ in range(n):
        story = story_about(ProductFactory(), topic=topic)
        story.shop_mentions.create(shop=ShopFactory())
    # built: the topic, its best stories, their product mentions, products, shop mentions, plus
    # the marketplace's sections, each with the next sale boundary its entry ends at (the live
    # sale's flash deals: the sale + boundary; the sales list: the sales + boundary; newest,
    # best-selling + boundary); then every section comes from the versioned cache: no query
    # (the countdowns' server clock is filled per response, not read per section)
    with django_assert_num_queries(12):
        assert client.get("/").status_code == 200
    with django_assert_num_queries(0):
        assert client.get("/").status_code == 200


def test_stories_make_a_blogger(client):
    # given someone with a follower and a story (and no answers)
    blogger = UserFactory()
    UserFollowFactory(user=blogger)
    StoryFactory(author=blogger)
    # then their profile calls them a blogger, and the API counts the story as a post
    assert "Blogger" in html(client, blogger.get_absolute_url())
    data = client.get(f"/api/v1/users/{blogger.username}/").json()
    assert (data["answer_count"], data["post_count"], data["roles"]) == (0, 1, ["blogger"])


@pytest.mark.parametrize("n", [3, 12])
def test_blogger_page_query_count_is_flat(client, django_assert_num_queries, n):
    blogger = UserFactory()
    for _ in range(n):
        story_about(ProductFactory(), author=blogger)
    # person (with counts), answers; headline: the blogger's figures, their latest stories
    with django_assert_num_queries(4):
        assert client.get(blogger.get_absolute_url()).status_code == 200


@pytest.mark.parametrize("n", [3, 12])
def test_product_and_shop_page_query_counts_stay_flat(client, django_assert_num_queries, n):
    product = ProductFactory()
    for _ in range(n):
        story_about(product)
    # product, images, reviews, live rooms, Q&A count (none), stories, next price change; the voucher
    # box; "more from this shop" and its next price change (see tests/marketplace/test_product_page.py)
    with django_assert_num_queries(10):
        assert client.get(product.get_absolute_url()).status_code == 200
    with django_assert_num_queries(5):  # the shop page (see tests/marketplace/test_catalogue_views.py)
        assert client.get(product.shop.get_absolute_url()).status_code == 200
