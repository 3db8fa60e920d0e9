"""Moderators hide and restore questions and answers from the admin; lists are read-only."""

import pytest
from django.contrib.admin.models import LogEntry

from community.models import Answer, Question
from core.visibility import Visibility
from tests.community.factories import AnswerFactory, NotificationFactory, QuestionFactory, UserFactory, make_moderator

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator(client):
    """A "Moderators" group member (not a superuser)."""
    staff = make_moderator()
    client.force_login(staff)
    return staff


@pytest.fixture
def superuser(client):
    """For the lists a moderator may not see (inbox, follows, activity): staff tools, not moderation."""
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    return staff


def test_hiding_an_answer_keeps_the_count_and_is_logged(client, moderator):
    answer = AnswerFactory()
    Question.objects.filter(pk=answer.question_id).update(answer_count=1)
    r = client.post("/admin/community/answer/", {"action": "hide", "_selected_action": [answer.pk]}, follow=True)
    assert r.status_code == 200
    answer.refresh_from_db()
    assert answer.visibility == Visibility.HIDDEN
    assert Question.objects.get(pk=answer.question_id).answer_count == 0
    assert LogEntry.objects.filter(object_id=str(answer.pk), change_message="Hidden by moderator").exists()
    client.post("/admin/community/answer/", {"action": "restore", "_selected_action": [answer.pk]})
    assert Answer.objects.get(pk=answer.pk).visibility == Visibility.VISIBLE
    assert Question.objects.get(pk=answer.question_id).answer_count == 1


def test_hidden_questions_leave_the_product_page(client, moderator):
    question = QuestionFactory(text="Is this a scam?")
    client.post("/admin/community/question/", {"action": "hide", "_selected_action": [question.pk]})
    assert "Is this a scam?" not in client.get(f"/products/{question.product_id}/questions/").content.decode()
    assert client.get(f"/questions/{question.pk}/").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/admin/community/question/?q=size",
        "/admin/community/answer/?visibility__exact=visible",
        "/admin/community/user/",
    ],
)
def test_moderation_lists_render_for_a_moderator(client, moderator, path):
    AnswerFactory()
    assert client.get(path).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/admin/community/notification/",
        "/admin/community/userfollow/",
        "/admin/community/shopfollow/",
        "/admin/community/questioninvitation/",
        "/admin/community/activity/",
        "/admin/community/interestprofile/",
    ],
)
def test_people_data_lists_render_for_superusers_only(client, path):
    NotificationFactory()
    client.force_login(make_moderator())
    assert client.get(path).status_code == 403  # inboxes, follows and activity are not moderation
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert client.get(path).status_code == 200


def test_notifications_cannot_be_edited_in_admin(client, superuser):
    notification = NotificationFactory()
    r = client.post(f"/admin/community/notification/{notification.pk}/change/", {"title": "Changed"})
    assert r.status_code == 403
