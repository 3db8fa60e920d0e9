"""Reads: the verified-buyer badge, answer order, the "for you" and popular feeds."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from community.models import ActivityKind, Question
from community.selectors.qa import (
    answer_list,
    question_feed_for_you,
    question_feed_page_for_you,
    question_feed_popular,
)
from community.services.activity import activity_record, interest_profile_rebuild
from community.services.feeds import question_feed_rebuild
from community.services.qa import question_set_visibility
from core.visibility import Visibility
from marketplace.models import Order, OrderStatus, Product
from tests.community.factories import AnswerFactory, QuestionFactory, UserFactory, make_purchase
from tests.marketplace.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db


def verified(answer):
    return answer_list(question=answer.question).get(pk=answer.pk).is_verified_buyer


@pytest.mark.parametrize(
    "status",
    [OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED],
)
def test_buyers_of_the_product_are_verified(status):
    answer = AnswerFactory()
    make_purchase(answer.author, answer.question.product, status=status)
    assert verified(answer) is True


def test_buyers_of_another_product_are_not_verified():
    answer = AnswerFactory()
    make_purchase(answer.author, ProductFactory())
    assert verified(answer) is False


def test_unpaid_and_cancelled_orders_do_not_verify():
    answer = AnswerFactory()
    order = make_purchase(answer.author, answer.question.product, status=OrderStatus.PENDING_PAYMENT)
    assert verified(answer) is False
    # when the order is paid the badge appears ...
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.PAID)
    assert verified(answer) is True


def test_the_badge_disappears_when_the_order_is_cancelled_before_payment():
    # given an answer by someone whose only order of the product is awaiting payment
    answer = AnswerFactory()
    order = make_purchase(answer.author, answer.question.product, status=OrderStatus.PENDING_PAYMENT)
    # when the order is cancelled (or expires) before payment
    for closed in (OrderStatus.CANCELLED, OrderStatus.EXPIRED):
        Order.objects.filter(pk=order.pk).update(status=closed)
        # then there is no badge
        assert verified(answer) is False


def test_answers_are_ordered_verified_first_then_by_helpfulness():
    question = QuestionFactory()
    top = AnswerFactory(question=question, helpful_count=10)
    meh = AnswerFactory(question=question, helpful_count=3, not_helpful_count=2)
    buyer_answer = AnswerFactory(question=question, helpful_count=0)
    make_purchase(buyer_answer.author, question.product)
    assert list(answer_list(question=question)) == [buyer_answer, top, meh]


# --- for you ---------------------------------------------------------------------------------


def rebuilt_feed(user, now=None):
    """What ``user`` reads after the background job rebuilt their feed as of ``now``."""
    question_feed_rebuild(user_id=user.pk, now=now or timezone.now())
    return list(question_feed_for_you(user=user))


def test_a_jewellery_buyer_who_viewed_food_sees_jewellery_questions_first():
    # given products in two categories, each with a question, and more food questions (so food
    # is not ahead by mere numbers); food questions even have more answers
    jewellery, food = CategoryFactory(name="Jewellery"), CategoryFactory(name="Food")
    necklace = ProductFactory(category=jewellery)
    earrings = ProductFactory(category=jewellery)
    tea = ProductFactory(category=food)
    jewellery_question = QuestionFactory(product=earrings)
    food_questions = QuestionFactory.create_batch(3, product=tea)
    Question.objects.filter(pk__in=[q.pk for q in food_questions]).update(answer_count=2)
    # and a user who bought the necklace and viewed the tea, whose interests were rebuilt
    user = UserFactory()
    now = timezone.now()
    make_purchase(user, necklace, paid_at=now - timedelta(days=1))
    activity_record(user_id=user.pk, kind=ActivityKind.BOUGHT, product_id=necklace.pk, at=now - timedelta(days=1))
    activity_record(user_id=user.pk, kind=ActivityKind.VIEWED, product_id=tea.pk, at=now - timedelta(hours=1))
    interest_profile_rebuild(user_id=user.pk, now=now)
    # when their feed is rebuilt and they open "for you"
    feed = rebuilt_feed(user, now)
    # then the jewellery question is ranked above every food question
    assert feed[0] == jewellery_question
    assert feed[0].reason == "interest"
    assert set(feed[1:]) == set(food_questions)


def test_questions_about_what_you_bought_come_first():
    user = UserFactory()
    mine = ProductFactory()
    make_purchase(user, mine)
    about_mine = QuestionFactory(product=mine)
    QuestionFactory.create_batch(2)
    feed = rebuilt_feed(user)
    assert feed[0] == about_mine and feed[0].reason == "bought"


def test_a_new_user_gets_popular_questions_and_never_their_own_or_answered_ones():
    # given questions with different numbers of answers, one by the user and one they answered
    quiet = QuestionFactory()
    busy = QuestionFactory(answer_count=5)
    user = UserFactory()
    own = QuestionFactory(author=user)
    answered = QuestionFactory(answer_count=9)
    AnswerFactory(question=answered, author=user)
    # when they open "for you" before any rebuild (a cold start) and after one
    cold = list(question_feed_for_you(user=user))
    warm = rebuilt_feed(user)
    # then both are the popular order without their own or answered questions
    assert cold == warm == [busy, quiet]
    assert {q.reason for q in cold + warm} == {"popular"}
    assert own not in cold
    assert list(question_feed_popular())[:2] == [answered, busy]


def test_feed_has_each_question_once_even_when_several_sources_match():
    user = UserFactory()
    product = ProductFactory()
    make_purchase(user, product)
    make_purchase(user, product)  # bought twice
    activity_record(user_id=user.pk, kind=ActivityKind.VIEWED, product_id=product.pk)
    interest_profile_rebuild(user_id=user.pk, now=timezone.now())
    question = QuestionFactory(product=product, answer_count=3)
    assert rebuilt_feed(user) == [question]


def test_a_question_hidden_after_the_rebuild_leaves_the_feed_at_once():
    # given a user whose feed holds two questions
    user = UserFactory()
    kept, hidden = QuestionFactory(answer_count=1), QuestionFactory()
    assert set(rebuilt_feed(user)) == {kept, hidden}
    # when a moderator hides one (no rebuild runs)
    question_set_visibility(obj=hidden, status=Visibility.HIDDEN, by=None)
    # then the next read leaves it out
    assert list(question_feed_for_you(user=user)) == [kept]


def test_questions_answered_or_taken_off_sale_after_the_rebuild_leave_the_feed():
    user = UserFactory()
    answered, off_sale, kept = QuestionFactory(), QuestionFactory(), QuestionFactory()
    question_feed_rebuild(user_id=user.pk, now=timezone.now())
    AnswerFactory(question=answered, author=user)
    Product.objects.filter(pk=off_sale.product_id).update(visibility=Visibility.REMOVED)
    assert list(question_feed_for_you(user=user)) == [kept]


def test_the_feed_is_read_from_the_entries_not_rescored_on_read():
    # given a rebuilt feed, then a purchase that would rank the other question first if rescored
    user = UserFactory()
    first, later_bought = QuestionFactory(answer_count=3), QuestionFactory()
    assert rebuilt_feed(user) == [first, later_bought]
    make_purchase(user, later_bought.product)
    # then the feed is unchanged until the next rebuild, which moves it up
    assert list(question_feed_for_you(user=user)) == [first, later_bought]
    assert rebuilt_feed(user) == [later_bought, first]


def test_popular_ranking_is_cached_but_hidden_questions_leave_at_once():
    # given the popular feed was read (and its ranking cached)
    top, second = QuestionFactory(answer_count=4), QuestionFactory(answer_count=1)
    assert list(question_feed_popular()) == [top, second]
    # when a question is hidden and a new one is asked within the minute
    question_set_visibility(obj=top, status=Visibility.HIDDEN, by=None)
    fresh = QuestionFactory(answer_count=9)
    # then the hidden one is gone at once; the new one appears when the ranking is recomputed
    assert list(question_feed_popular()) == [second]
    cache.clear()
    assert list(question_feed_popular()) == [fresh, second]


def test_popular_feed_holds_at_most_the_feed_size(settings):
    settings.QUESTION_FEED_SIZE = 3
    QuestionFactory.create_batch(5)
    assert len(question_feed_popular()) == 3


def test_the_questions_page_reads_the_for_you_feed_a_page_at_a_time(django_assert_num_queries):
    # given a user whose rebuilt feed holds five questions
    user = UserFactory()
    QuestionFactory.create_batch(5)
    feed = rebuilt_feed(user)
    assert len(feed) == 5

    # when they read it two at a time, then the pages are the feed in order, one query each,
    # and each knows the feed's length
    pages = []
    for number in (1, 2, 3):
        with django_assert_num_queries(1):
            page = question_feed_page_for_you(user=user, number=str(number), size=2)
        assert (page.number, page.paginator.count, page.paginator.num_pages) == (number, 5, 3)
        pages += list(page)
    assert pages == feed and [q.reason for q in pages] == [q.reason for q in feed]

    # and a page past the end is the last one, as Paginator.get_page has it; a bad number the first
    assert list(question_feed_page_for_you(user=user, number="9", size=2)) == feed[4:]
    assert list(question_feed_page_for_you(user=user, number="x", size=2)) == feed[:2]

    # and when a moderator hides one, the next read leaves it out and counts one less
    question_set_visibility(obj=feed[0], status=Visibility.HIDDEN, by=None)
    page = question_feed_page_for_you(user=user, number="1", size=2)
    assert list(page) == feed[1:3] and page.paginator.count == 4


def test_the_questions_page_of_a_cold_start_is_the_popular_feed():
    user = UserFactory()
    quiet, busy = QuestionFactory(), QuestionFactory(answer_count=5)
    page = question_feed_page_for_you(user=user, number=None, size=20)
    assert list(page) == [busy, quiet] and {q.reason for q in page} == {"popular"}
