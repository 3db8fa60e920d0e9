"""Races users can run on community's unique and foreign-key constraints answer 409 or 404 (or
the idempotent result), never a 500 (issue 13, point 2). Deleting a question or an answer marks
it REMOVED; a write that depends on it (an answer, a vote, "accepted") locks its row first, so it
either lands before the removal or is told 404. Real threads on PostgreSQL, each with
its own connection, through the API (tests/concurrency.py)."""

from collections import Counter

import pytest
from rest_framework.test import APIClient

from community.models import Answer, AnswerVote, Question, User
from core.visibility import Visibility
from tests.community.factories import AnswerFactory, QuestionFactory, UserFactory
from tests.concurrency import run_concurrently

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

GOOD_PASSWORD = "pearl-river-88"


def _api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def _call(method: str, path: str, user=None, data=None):
    def call():
        response = getattr(_api(user), method)(path, data, format="json")
        body = response.json() if response.content else None
        return response.status_code, body

    return call


def test_the_same_username_registered_at_once_one_wins_the_rest_409(postgres):
    # given five sign-ups for one name, differing only in case, at the same moment
    names = ["mei", "Mei", "MEI", "mei", "mEi"]
    calls = [
        _call("post", "/api/v1/auth/register/", data={"username": name, "password": GOOD_PASSWORD}) for name in names
    ]

    results = run_concurrently(calls)

    # then one account exists and every other request was told the name is taken
    statuses = Counter(status for status, _ in results)
    assert statuses == {201: 1, 409: 4}, results
    assert {body["error"]["code"] for status, body in results if status == 409} == {"username_taken"}
    assert User.objects.filter(username__iexact="mei").count() == 1


def test_deleting_a_question_while_others_answer_it(postgres):
    for _round in range(3):
        question = QuestionFactory()
        answerers = UserFactory.create_batch(12)
        calls = [_call("delete", f"/api/v1/questions/{question.pk}/", question.author)]
        answer = f"/api/v1/questions/{question.pk}/answers/"
        calls += [_call("post", answer, u, {"text": "It fits."}) for u in answerers]

        results = run_concurrently(calls)

        assert results[0][0] == 204
        assert {status for status, _ in results[1:]} <= {201, 404}, results
        assert Question.objects.get(pk=question.pk).visibility == Visibility.REMOVED
        answered = sum(status == 201 for status, _ in results[1:])
        assert Answer.objects.filter(question_id=question.pk).count() == answered


def test_voting_on_an_answer_being_deleted(postgres):
    for _round in range(3):
        answer = AnswerFactory()
        voters = UserFactory.create_batch(12)
        calls = [_call("delete", f"/api/v1/answers/{answer.pk}/", answer.author)]
        calls += [_call("post", f"/api/v1/answers/{answer.pk}/vote/", u, {"value": 1}) for u in voters]
        calls.insert(6, _call("delete", f"/api/v1/questions/{answer.question_id}/", answer.question.author))

        results = run_concurrently(calls)

        assert {status for status, _ in results} <= {200, 204, 404}, results
        voted = sum(status == 200 for status, _ in results)
        assert AnswerVote.objects.filter(answer_id=answer.pk).count() == voted
        assert Answer.objects.get(pk=answer.pk).visibility == Visibility.REMOVED


def test_accepting_an_answer_being_deleted(postgres):
    for _round in range(3):
        answer = AnswerFactory()
        others = AnswerFactory.create_batch(3, question=answer.question)
        asker = answer.question.author
        calls = [_call("delete", f"/api/v1/answers/{answer.pk}/", answer.author)]
        calls += [_call("post", f"/api/v1/answers/{a.pk}/accept/", asker) for a in [answer, *others] * 3]

        results = run_concurrently(calls)

        assert {status for status, _ in results} <= {200, 204, 404}, results


def test_following_a_user_many_times_at_once_is_one_follow(postgres):
    fan, star = UserFactory(), UserFactory()
    results = run_concurrently([_call("post", f"/api/v1/users/{star.username}/follow/", fan) for _ in range(8)])
    assert {status for status, _ in results} <= {200, 201}, results
    assert star.follower_links.count() == 1
