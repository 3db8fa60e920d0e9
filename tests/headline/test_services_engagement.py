"""Likes, comments, views, click-throughs and order attribution: counters stay exact."""

from datetime import timedelta

import pytest
from django.utils import timezone

from community.models import Activity, ActivityKind
from core.visibility import Visibility
from headline.models import Story, StoryClick, StoryComment, StoryLike, StoryOrder
from headline.services import engagement
from tests.community.factories import UserFactory
from tests.concurrency import raised, run_concurrently
from tests.headline.factories import StoryClickFactory, StoryCommentFactory, StoryFactory, story_about
from tests.marketplace.factories import OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db


def counts(story):
    return Story.objects.values("like_count", "comment_count", "view_count", "click_count", "order_count").get(
        pk=story.pk
    )


def test_a_double_like_counts_once_and_undo_counts_down_once(user):
    story = StoryFactory()
    assert engagement.story_like(user=user, story=story) is True
    assert engagement.story_like(user=user, story=story) is False
    assert counts(story)["like_count"] == 1
    assert engagement.story_unlike(user=user, story=story) is True
    assert engagement.story_unlike(user=user, story=story) is False
    assert counts(story)["like_count"] == 0 and not StoryLike.objects.exists()


def test_a_like_teaches_interests_about_each_mentioned_product(user, django_capture_on_commit_callbacks):
    # given a story about two products
    first, second = ProductFactory(), ProductFactory()
    story = story_about(first)
    story.product_mentions.create(product=second, position=1)
    # when the user likes it (and, later, likes it again after an undo)
    with django_capture_on_commit_callbacks() as callbacks:
        engagement.story_like(user=user, story=story)
    engagement.story_unlike(user=user, story=story)
    engagement.story_like(user=user, story=story)
    # then one LIKED_STORY activity per product, with its category, and a rebuild was scheduled
    liked = Activity.objects.filter(user=user, kind=ActivityKind.LIKED_STORY)
    assert sorted(liked.values_list("product_id", "category_id")) == sorted(
        [(first.pk, first.category_id), (second.pk, second.category_id)]
    )
    assert callbacks, "the interest and feed rebuild is queued on commit"


@pytest.mark.django_db(transaction=True)
def test_concurrent_likes_from_many_people_give_the_exact_count(postgres):
    # given a story and 30 people, one of whom likes twice at the same moment
    story = StoryFactory()
    people = UserFactory.create_batch(30)
    likers = [*people, people[0]]
    # when all like at once, each in its own thread and connection
    results = run_concurrently([lambda p=p: engagement.story_like(user=p, story=story) for p in likers])
    # then every like counts once: 30, matching the rows
    assert raised(results) == [] and sorted(results) == [False] + [True] * 30
    assert counts(story)["like_count"] == 30 == StoryLike.objects.filter(story=story).count()
    # and concurrent undos count down exactly as well
    results = run_concurrently([lambda p=p: engagement.story_unlike(user=p, story=story) for p in likers])
    assert raised(results) == [] and counts(story)["like_count"] == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_comments_and_a_racing_hide_keep_the_comment_count_exact(postgres):
    story = StoryFactory()
    people = UserFactory.create_batch(20)
    results = run_concurrently([lambda p=p: engagement.comment_post(author=p, story=story, body="hi") for p in people])
    assert raised(results) == [] and counts(story)["comment_count"] == 20
    target = StoryComment.objects.filter(story=story).first()
    moderator = UserFactory(is_staff=True)
    hide = [
        lambda: engagement.comment_set_visibility(obj=target, status=Visibility.HIDDEN, by=moderator) for _ in range(10)
    ]
    results = run_concurrently(hide)
    assert raised(results) == [] and results.count(True) == 1 and counts(story)["comment_count"] == 19


def test_replies_are_one_level_deep(user):
    story = StoryFactory()
    top = engagement.comment_post(author=user, story=story, body="top")
    reply = engagement.comment_post(author=user, story=story, body="reply", parent=top)
    deeper = engagement.comment_post(author=user, story=story, body="deeper", parent=reply)
    assert reply.parent_id == top.pk and deeper.parent_id == top.pk
    assert counts(story)["comment_count"] == 3


def test_a_comment_on_another_story_cannot_be_a_parent(user):
    parent = StoryCommentFactory()
    with pytest.raises(Exception) as err:
        engagement.comment_post(author=user, story=StoryFactory(), body="x", parent=parent)
    assert err.value.code == "comment_wrong_story"


def test_hide_restore_and_delete_move_the_comment_count_once(user):
    story = StoryFactory()
    comment = engagement.comment_post(author=user, story=story, body="hello")
    moderator = UserFactory(is_staff=True)
    assert engagement.comment_set_visibility(obj=comment, status=Visibility.HIDDEN, by=moderator)
    assert not engagement.comment_set_visibility(obj=comment, status=Visibility.HIDDEN, by=moderator)
    assert counts(story)["comment_count"] == 0
    assert engagement.comment_set_visibility(obj=comment, status=Visibility.VISIBLE, by=moderator)
    assert counts(story)["comment_count"] == 1
    assert engagement.comment_delete(comment=comment, by=user)
    assert counts(story)["comment_count"] == 0


@pytest.mark.parametrize("body, code", [("   ", "comment_empty"), ("x" * 2001, "comment_too_long")])
def test_bad_comments_are_refused(user, body, code):
    with pytest.raises(Exception) as err:
        engagement.comment_post(author=user, story=StoryFactory(), body=body)
    assert err.value.code == code


def test_views_count_once_per_viewer_per_day():
    story = StoryFactory()
    now = timezone.now()
    assert engagement.story_view_record(story=story, viewer="u1", now=now)
    assert not engagement.story_view_record(story=story, viewer="u1", now=now)
    assert engagement.story_view_record(story=story, viewer="u2", now=now)
    assert engagement.story_view_record(story=story, viewer="u1", now=now + timedelta(days=1))
    assert counts(story)["view_count"] == 3


def test_clicks_count_once_per_viewer_card_and_day_and_are_kept_for_signed_in_people(user):
    product = ProductFactory()
    story = story_about(product)
    assert engagement.story_click(story=story, user=user, viewer=f"u{user.pk}", product_id=product.pk)
    assert not engagement.story_click(story=story, user=user, viewer=f"u{user.pk}", product_id=product.pk)
    assert engagement.story_click(story=story, user=None, viewer="anon", product_id=product.pk)
    assert counts(story)["click_count"] == 2
    assert list(StoryClick.objects.values_list("user_id", flat=True)) == [user.pk, user.pk]


def test_an_order_after_a_click_is_attributed_once_and_retracted_once():
    # given a buyer who clicked a story's product card an hour ago
    product = ProductFactory()
    story = story_about(product)
    buyer = UserFactory()
    StoryClickFactory(story=story, user=buyer, product=product, created_at=timezone.now() - timedelta(hours=1))
    order = OrderFactory(buyer=buyer, shop=product.shop)
    args = {"order_id": order.pk, "buyer_id": buyer.pk, "shop_id": product.shop_id, "product_ids": [product.pk]}
    # when the order is placed (and the signal is delivered twice)
    assert engagement.story_order_attribute(**args, placed_at=timezone.now()) is not None
    assert engagement.story_order_attribute(**args, placed_at=timezone.now()) is None
    # then the story counts one order; cancelling retracts it once
    assert counts(story)["order_count"] == 1
    assert engagement.story_order_retract(order_id=order.pk) is True
    assert engagement.story_order_retract(order_id=order.pk) is False
    assert counts(story)["order_count"] == 0


def test_orders_outside_the_window_of_other_products_or_by_the_author_are_not_attributed():
    product, other = ProductFactory(), ProductFactory()
    buyer = UserFactory()
    old = story_about(product)
    StoryClickFactory(story=old, user=buyer, product=product, created_at=timezone.now() - timedelta(hours=25))
    own = story_about(product, author=buyer)
    StoryClickFactory(story=own, user=buyer, product=product)
    unrelated = story_about(other)
    StoryClickFactory(story=unrelated, user=buyer, product=other)
    order = OrderFactory(buyer=buyer, shop=product.shop)
    attribution = engagement.story_order_attribute(
        order_id=order.pk,
        buyer_id=buyer.pk,
        shop_id=product.shop_id,
        product_ids=[product.pk],
        placed_at=timezone.now(),
    )
    assert attribution is None and not StoryOrder.objects.exists()


def test_the_last_clicked_story_wins():
    product = ProductFactory()
    buyer = UserFactory()
    first, last = story_about(product), story_about(product)
    StoryClickFactory(story=first, user=buyer, product=product, created_at=timezone.now() - timedelta(hours=2))
    StoryClickFactory(story=last, user=buyer, product=product, created_at=timezone.now() - timedelta(minutes=5))
    order = OrderFactory(buyer=buyer, shop=product.shop)
    attribution = engagement.story_order_attribute(
        order_id=order.pk,
        buyer_id=buyer.pk,
        shop_id=product.shop_id,
        product_ids=[product.pk],
        placed_at=timezone.now(),
    )
    assert attribution.story_id == last.pk


def test_with_the_clickers_known_an_order_without_a_click_costs_no_query_and_a_click_just_before_counts(
    django_assert_num_queries, redis_url
):
    # given a buyer and a story about a product; the clickers known (the first order after a
    # flush rebuilds them from the clicks kept)
    product = ProductFactory()
    story = story_about(product)
    buyer = UserFactory()

    def place():
        order = OrderFactory(buyer=buyer, shop=product.shop)
        return engagement.story_order_attribute(
            order_id=order.pk,
            buyer_id=buyer.pk,
            shop_id=product.shop_id,
            product_ids=[product.pk],
            placed_at=timezone.now(),
        )

    assert place() is None
    # when the buyer, who clicked no card, orders: nothing is read
    with django_assert_num_queries(0):
        assert (
            engagement.story_order_attribute(
                order_id=1, buyer_id=buyer.pk, shop_id=product.shop_id, product_ids=[], placed_at=timezone.now()
            )
            is None
        )
    # when they click a card just before ordering
    engagement.story_click(story=story, user=buyer, viewer=f"u{buyer.pk}", product_id=product.pk)
    attribution = place()
    # then that order is the story's
    assert attribution is not None and attribution.story_id == story.pk
    assert counts(story)["order_count"] == 1
