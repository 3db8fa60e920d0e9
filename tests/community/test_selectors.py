"""Reads: the verified-buyer badge, answer order, the "for you" feed, routing candidates."""

from datetime import timedelta

import pytest
from django.utils import timezone

from community.models import ActivityKind, Question
from community.selectors.qa import answer_list, question_feed_for_you, question_feed_popular
from community.services.activity import activity_record, interest_profile_rebuild
from marketplace.models import Order, OrderStatus
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
    # and a user who bought the necklace and viewed the tea
    user = UserFactory()
    now = timezone.now()
    make_purchase(user, necklace, paid_at=now - timedelta(days=1))
    activity_record(user_id=user.pk, kind=ActivityKind.BOUGHT, product_id=necklace.pk, at=now - timedelta(days=1))
    activity_record(user_id=user.pk, kind=ActivityKind.VIEWED, product_id=tea.pk, at=now - timedelta(hours=1))
    interest_profile_rebuild(user_id=user.pk, now=now)
    # when they open "for you"
    feed = list(question_feed_for_you(user=user, now=now))
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
    feed = list(question_feed_for_you(user=user))
    assert feed[0] == about_mine and feed[0].reason == "bought"


def test_a_new_user_gets_popular_questions_and_never_their_own_or_answered_ones():
    quiet = QuestionFactory()
    busy = QuestionFactory(answer_count=5)
    user = UserFactory()
    own = QuestionFactory(author=user)
    answered = QuestionFactory(answer_count=9)
    AnswerFactory(question=answered, author=user)
    feed = list(question_feed_for_you(user=user))
    assert feed == [busy, quiet]
    assert {q.reason for q in feed} == {"popular"}
    assert own not in feed
    assert list(question_feed_popular())[:2] == [answered, busy]


def test_feed_has_each_question_once_even_when_several_sources_match():
    user = UserFactory()
    product = ProductFactory()
    make_purchase(user, product)
    make_purchase(user, product)  # bought twice
    activity_record(user_id=user.pk, kind=ActivityKind.VIEWED, product_id=product.pk)
    interest_profile_rebuild(user_id=user.pk, now=timezone.now())
    question = QuestionFactory(product=product, answer_count=3)
    assert list(question_feed_for_you(user=user)) == [question]
