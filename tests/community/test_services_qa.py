"""Questions, answers, votes, acceptance, the edit window, moderation and routing to buyers."""

from datetime import timedelta

import pytest
from django.utils import timezone

from community.models import (
    Answer,
    AnswerVote,
    Notification,
    NotificationKind,
    Question,
    QuestionInvitation,
)
from community.services.qa import (
    answer_accept,
    answer_delete,
    answer_edit,
    answer_post,
    answer_set_visibility,
    answer_unvote,
    answer_vote,
    question_ask,
    question_edit,
    question_route_to_buyers,
)
from core.errors import ApplicationError
from core.visibility import Visibility
from marketplace.models import OrderStatus
from tests.community.factories import (
    AnswerFactory,
    QuestionFactory,
    QuestionInvitationFactory,
    UserFactory,
    make_purchase,
)
from tests.concurrency import raised, run_concurrently
from tests.marketplace.factories import ProductFactory


def counts(answer):
    answer.refresh_from_db(fields=["helpful_count", "not_helpful_count"])
    return answer.helpful_count, answer.not_helpful_count


@pytest.mark.django_db
def test_asking_validates_and_records_the_question(user, product):
    with pytest.raises(ApplicationError):
        question_ask(author=user, product=product, text="short")
    question = question_ask(author=user, product=product, text="  Does the clasp feel sturdy?  ")
    assert question.text == "Does the clasp feel sturdy?"
    assert Question.objects.filter(product=product).count() == 1


@pytest.mark.django_db
def test_answering_counts_closes_the_invitation_and_tells_the_asker():
    # given a question and an invitation for a buyer
    question = QuestionFactory()
    buyer = UserFactory()
    invitation = QuestionInvitationFactory(question=question, invitee=buyer)
    # when the buyer answers
    answer = answer_post(author=buyer, question=question, text="Very sturdy.")
    # then the answer counts, the invitation is closed and the asker is told
    question.refresh_from_db()
    invitation.refresh_from_db()
    assert question.answer_count == 1
    assert invitation.answered_at is not None
    assert Notification.objects.filter(recipient=question.author, kind=NotificationKind.QUESTION_ANSWERED).count() == 1
    # and a second answer from the same person is refused
    with pytest.raises(ApplicationError) as err:
        answer_post(author=buyer, question=question, text="Again")
    assert err.value.status == 409
    assert Answer.objects.filter(question=question).count() == 1
    assert answer.pk


@pytest.mark.django_db
def test_you_cannot_answer_your_own_question():
    question = QuestionFactory()
    with pytest.raises(ApplicationError):
        answer_post(author=question.author, question=question, text="I think so")


@pytest.mark.django_db
def test_votes_are_one_per_user_and_changeable():
    answer = AnswerFactory()
    voter = UserFactory()
    answer_vote(user=voter, answer=answer, value=1)
    answer_vote(user=voter, answer=answer, value=1)
    assert counts(answer) == (1, 0)
    # changing the vote moves it from one count to the other
    answer_vote(user=voter, answer=answer, value=-1)
    assert counts(answer) == (0, 1)
    assert AnswerVote.objects.filter(answer=answer, user=voter).count() == 1
    # removing it takes it away
    assert answer_unvote(user=voter, answer=answer) is True
    assert answer_unvote(user=voter, answer=answer) is False
    assert counts(answer) == (0, 0)


@pytest.mark.django_db
def test_you_cannot_vote_on_your_own_answer_or_with_other_values():
    answer = AnswerFactory()
    with pytest.raises(ApplicationError):
        answer_vote(user=answer.author, answer=answer, value=1)
    with pytest.raises(ApplicationError):
        answer_vote(user=UserFactory(), answer=answer, value=5)
    assert counts(answer) == (0, 0)


@pytest.mark.django_db(transaction=True)
def test_concurrent_double_votes_count_once(postgres):
    # given an answer and one voter
    answer = AnswerFactory()
    voter = UserFactory()
    # when the voter's "helpful" click arrives eight times at once
    errors = raised(run_concurrently([lambda: answer_vote(user=voter, answer=answer, value=1)] * 8))
    # then one vote, counted once
    assert errors == []
    assert AnswerVote.objects.filter(answer=answer).count() == 1
    assert counts(answer) == (1, 0)


@pytest.mark.django_db(transaction=True)
def test_concurrent_conflicting_votes_leave_counts_matching_the_vote(postgres):
    answer = AnswerFactory()
    voter = UserFactory()
    votes = [lambda value=value: answer_vote(user=voter, answer=answer, value=value) for value in [1, -1] * 5]
    errors = raised(run_concurrently(votes))
    assert errors == []
    vote = AnswerVote.objects.get(answer=answer, user=voter)
    assert counts(answer) == ((1, 0) if vote.value == 1 else (0, 1))


@pytest.mark.django_db(transaction=True)
def test_concurrent_votes_of_many_users_all_count(postgres):
    answer = AnswerFactory()
    voters = UserFactory.create_batch(10)
    errors = raised(run_concurrently([lambda v=v: answer_vote(user=v, answer=answer, value=1) for v in voters]))
    assert errors == []
    assert counts(answer) == (10, 0)


@pytest.mark.django_db
def test_only_the_asker_accepts_and_the_author_is_told():
    answer = AnswerFactory()
    with pytest.raises(ApplicationError):
        answer_accept(user=UserFactory(), answer=answer)
    question = answer_accept(user=answer.question.author, answer=answer)
    assert question.accepted_answer == answer
    assert Notification.objects.filter(recipient=answer.author, kind=NotificationKind.ANSWER_ACCEPTED).exists()


@pytest.mark.django_db
def test_edits_only_by_the_author_within_the_window(settings):
    settings.COMMUNITY_EDIT_WINDOW_MINUTES = 15
    answer = AnswerFactory()
    with pytest.raises(ApplicationError):
        answer_edit(user=UserFactory(), answer=answer, text="Changed")
    answer_edit(user=answer.author, answer=answer, text="Changed it")
    answer.refresh_from_db()
    assert answer.text == "Changed it"
    # after the window it is refused
    Answer.objects.filter(pk=answer.pk).update(created_at=timezone.now() - timedelta(minutes=16))
    answer.refresh_from_db()
    with pytest.raises(ApplicationError) as err:
        answer_edit(user=answer.author, answer=answer, text="Too late now")
    assert err.value.code == "too_late"
    question = answer.question
    with pytest.raises(ApplicationError):
        question_edit(user=answer.author, question=question, text="Not my question at all")


@pytest.mark.django_db
def test_deleting_and_hiding_answers_keep_the_answer_count_right():
    question = QuestionFactory()
    a = answer_post(author=UserFactory(), question=question, text="One")
    b = answer_post(author=UserFactory(), question=question, text="Two")
    question.refresh_from_db()
    assert question.answer_count == 2
    assert answer_set_visibility(obj=a, status=Visibility.HIDDEN, by=None) is True
    assert answer_set_visibility(obj=a, status=Visibility.HIDDEN, by=None) is False
    question.refresh_from_db()
    assert question.answer_count == 1
    answer_delete(user=b.author, answer=b)
    question.refresh_from_db()
    assert question.answer_count == 0
    assert answer_set_visibility(obj=a, status=Visibility.VISIBLE, by=None) is True
    question.refresh_from_db()
    assert question.answer_count == 1


# --- routing ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_routing_invites_only_recent_buyers_at_most_n_never_the_asker(settings):
    settings.QUESTION_ROUTING_INVITES = 3
    product = ProductFactory()
    other_product = ProductFactory()
    now = timezone.now()
    asker = UserFactory()
    make_purchase(asker, product)  # the asker bought it too
    buyers = [UserFactory() for _ in range(5)]
    for days_ago, buyer in enumerate(buyers):
        make_purchase(buyer, product, paid_at=now - timedelta(days=days_ago))
    unpaid = UserFactory()
    make_purchase(unpaid, product, status=OrderStatus.PENDING_PAYMENT)
    opted_out = UserFactory(question_invites_opt_out=True)
    make_purchase(opted_out, product, paid_at=now)
    make_purchase(UserFactory(), other_product)
    question = QuestionFactory(product=product, author=asker)

    invited = question_route_to_buyers(question_id=question.pk, now=now)

    # then the three most recent buyers, nobody else
    assert invited == [b.pk for b in buyers[:3]]
    assert set(QuestionInvitation.objects.filter(question=question).values_list("invitee_id", flat=True)) == set(
        invited
    )
    invites = Notification.objects.filter(kind=NotificationKind.QUESTION_INVITE)
    assert sorted(invites.values_list("recipient_id", flat=True)) == sorted(invited)
    # a re-run invites nobody more (N reached) and notifies nobody twice
    assert question_route_to_buyers(question_id=question.pk, now=now) == []
    assert invites.count() == 3


@pytest.mark.django_db
def test_routing_tops_up_without_inviting_anyone_twice(settings):
    settings.QUESTION_ROUTING_INVITES = 5
    product = ProductFactory()
    first = UserFactory()
    make_purchase(first, product)
    question = QuestionFactory(product=product)
    assert question_route_to_buyers(question_id=question.pk) == [first.pk]
    second = UserFactory()
    make_purchase(second, product)
    assert question_route_to_buyers(question_id=question.pk) == [second.pk]
    assert QuestionInvitation.objects.filter(question=question).count() == 2


@pytest.mark.django_db
def test_routing_skips_buyers_invited_too_often_this_week(settings):
    settings.QUESTION_ROUTING_WEEKLY_CAP = 2
    product = ProductFactory()
    busy, free = UserFactory(), UserFactory()
    make_purchase(busy, product)
    make_purchase(free, product, paid_at=timezone.now() - timedelta(days=3))
    QuestionInvitationFactory.create_batch(2, invitee=busy)
    # an old invitation does not count against the cap
    old = QuestionInvitationFactory(invitee=free)
    QuestionInvitation.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=8))
    QuestionInvitationFactory(invitee=free)
    question = QuestionFactory(product=product)
    assert question_route_to_buyers(question_id=question.pk) == [free.pk]


@pytest.mark.django_db(transaction=True)
def test_concurrent_routing_runs_never_exceed_n(postgres, settings):
    # given a product with eight buyers and a question about it
    settings.QUESTION_ROUTING_INVITES = 3
    product = ProductFactory()
    for buyer in UserFactory.create_batch(8):
        make_purchase(buyer, product)
    question = QuestionFactory(product=product)
    # when the routing job runs six times at once (retries, duplicate deliveries)
    errors = raised(run_concurrently([lambda: question_route_to_buyers(question_id=question.pk)] * 6))
    # then three people are invited, each notified once
    assert errors == []
    assert QuestionInvitation.objects.filter(question=question).count() == 3
    assert Notification.objects.filter(kind=NotificationKind.QUESTION_INVITE).count() == 3
