"""An inbox you can trust: the badge counts what the inbox lists (on pages it is cached with the
signed-in user and rebuilt after every write that could change it: tests/core/test_pages.py),
notifications about hidden content leave both and never lead to a 404, and
notifications speak the reader's language (e-mails the recipient's)."""

import logging
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation

from community.models import Answer, Notification, NotificationKind, User
from community.selectors import notifications as notifications_selectors
from community.selectors.notifications import (
    notification_list,
    notification_subject_register,
    notification_unread_count,
    user_get_with_unread_count,
)
from community.services.notifications import notification_create, notifications_email_send
from community.services.people import user_set_visibility
from community.services.qa import answer_set_visibility, question_route_to_buyers, question_set_visibility
from core.mail import LoggingEmailBackend
from core.visibility import Visibility
from tests.community.factories import AnswerFactory, NotificationFactory, QuestionFactory, UserFactory, make_purchase

pytestmark = pytest.mark.django_db


def _invited(question):
    buyer = UserFactory()
    make_purchase(buyer, question.product)
    assert question_route_to_buyers(question_id=question.pk) == [buyer.pk]
    return buyer


def test_the_badge_counts_rows_written_by_any_process(user):
    # given a badge that was shown once
    NotificationFactory(recipient=user)
    assert notification_unread_count(user=user) == 1
    # when another process inserts a notification straight into the database (no service, no
    # cache invalidation of ours could have run)
    Notification.objects.create(recipient=user, kind=NotificationKind.OTHER, title="Parcel")
    # then the badge already says two: it is counted, not cached
    assert notification_unread_count(user=user) == 2


def test_a_hidden_question_leaves_the_inbox_and_the_badge_and_comes_back_restored():
    # given a buyer invited to answer a question
    question = QuestionFactory()
    buyer = _invited(question)
    NotificationFactory(recipient=buyer)  # something unrelated
    assert notification_unread_count(user=buyer) == 2
    assert [n.subject_type for n in notification_list(user=buyer)] == ["", "question"]
    # when a moderator hides the question
    question_set_visibility(obj=question, status=Visibility.HIDDEN, by=None)
    # then the invitation is neither listed nor counted
    assert notification_unread_count(user=buyer) == 1
    assert [n.subject_type for n in notification_list(user=buyer)] == [""]
    # and restoring the question brings it back
    question_set_visibility(obj=question, status=Visibility.VISIBLE, by=None)
    assert notification_unread_count(user=buyer) == 2


def test_each_notification_is_checked_against_its_own_kind_by_id(user):
    # given unread notifications about a public question, a hidden answer, a hidden person, a
    # kind nobody registered, and nothing; the question and the answer share their id, so a
    # check against the wrong kind's rows would show or hide the wrong one
    question = QuestionFactory()
    answer = AnswerFactory(question=QuestionFactory())
    Answer.objects.filter(pk=answer.pk).update(id=question.pk)
    answer = Answer.objects.get(pk=question.pk)
    answer_set_visibility(obj=answer, status=Visibility.HIDDEN, by=None)
    person = UserFactory()
    user_set_visibility(obj=person, status=Visibility.HIDDEN, by=None)
    for subject_type, subject_id in [("question", question.pk), ("answer", answer.pk), ("user", person.pk),
                                     ("parcel", 1), ("", None)]:  # fmt: skip
        NotificationFactory(recipient=user, subject_type=subject_type, subject_id=subject_id)

    # then the inbox lists, and the badge counts, the question, the unregistered kind and the
    # one about nothing
    assert sorted(n.subject_type for n in notification_list(user=user)) == ["", "parcel", "question"]
    assert notification_unread_count(user=user) == 3

    # and when the answer is restored and the question hidden, the two swap
    answer_set_visibility(obj=answer, status=Visibility.VISIBLE, by=None)
    question_set_visibility(obj=question, status=Visibility.HIDDEN, by=None)
    assert sorted(n.subject_type for n in notification_list(user=user)) == ["", "answer", "parcel"]
    assert notification_unread_count(user=user) == 3


@pytest.fixture
def parcel_kind():
    """Registers a subject kind "parcel" for one test (the registry is restored after)."""
    saved = dict(notifications_selectors._SUBJECTS)
    yield lambda public: notification_subject_register("parcel", public)
    notifications_selectors._SUBJECTS.clear()
    notifications_selectors._SUBJECTS.update(saved)
    notifications_selectors._USER_SQL.clear()


def test_the_signed_in_users_query_is_prepared_on_postgresql_and_counts_as_the_queryset(user, postgres):
    # given two unread notifications of the user
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    NotificationFactory.create_batch(2, recipient=user)
    # when the signed-in user is loaded twice
    with CaptureQueriesContext(connection) as queries:
        loaded = [user_get_with_unread_count(user_id=user.pk) for _ in range(2)]
    # then each load is one EXECUTE of the statement prepared once, with the queryset's count
    assert [q["sql"].split(" (")[0] for q in queries.captured_queries] == [
        queries.captured_queries[0]["sql"].split(" (")[0]
    ] * 2
    assert queries.captured_queries[0]["sql"].startswith("EXECUTE jishi_user_badge_")
    assert [u.unread_notification_count_now for u in loaded] == [2, 2]


def test_the_signed_in_users_compiled_query_follows_the_registry(user, parcel_kind):
    # given a notification about a parcel (a kind nobody registered: always shown), counted by the
    # signed-in user's query (its SQL compiled once per process)
    parcel = NotificationFactory(recipient=user, subject_type="parcel", subject_id=user.pk)
    assert user_get_with_unread_count(user_id=user.pk).unread_notification_count_now == 1
    assert notifications_selectors._USER_SQL["default"] is not None

    # when an app registers parcels as shown only while in a queryset that excludes this one
    parcel_kind(lambda: User.objects.exclude(pk=user.pk))

    # then the next load counts by the new rule, as the inbox lists
    assert user_get_with_unread_count(user_id=user.pk).unread_notification_count_now == 0
    assert list(notification_list(user=user)) == []
    # and a rule that reads the clock when built is not compiled once but built per load
    parcel_kind(lambda: User.objects.filter(date_joined__lte=timezone.now()))
    assert user_get_with_unread_count(user_id=user.pk).unread_notification_count_now == 1
    assert notifications_selectors._USER_SQL["default"] is None
    assert list(notification_list(user=user)) == [parcel]
    # and an unknown id is no user
    assert user_get_with_unread_count(user_id=user.pk + 1000) is None


def test_opening_a_notification_about_hidden_content_says_so_instead_of_404(client):
    question = QuestionFactory()
    buyer = _invited(question)
    invite = Notification.objects.get(recipient=buyer, subject_type="question")
    question_set_visibility(obj=question, status=Visibility.HIDDEN, by=None)
    client.force_login(buyer)
    # when the buyer follows the link from the e-mail (GET) after the question was hidden
    response = client.get(reverse("community:notification_open", args=[invite.pk]), follow=True)
    # then they land on the inbox with a message, and the notification is read
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("community:inbox")
    assert "no longer available" in response.content.decode()
    invite.refresh_from_db()
    assert invite.read_at is not None
    # while a visible one still goes to its page
    other = QuestionFactory()
    make_purchase(buyer, other.product)
    question_route_to_buyers(question_id=other.pk)
    invite = Notification.objects.get(recipient=buyer, subject_id=other.pk)
    response = client.post(reverse("community:notification_open", args=[invite.pk]))
    assert response.status_code == 302
    assert response["Location"] == other.get_absolute_url()


def test_the_header_badge_agrees_with_the_inbox_page(client):
    question = QuestionFactory()
    buyer = _invited(question)
    client.force_login(buyer)
    assert 'aria-label="1 unread"' in client.get(reverse("community:inbox")).content.decode()
    question_set_visibility(obj=question, status=Visibility.HIDDEN, by=None)
    page = client.get(reverse("community:inbox")).content.decode()
    assert not re.search(r'aria-label="\d+ unread"', page.split("</header>")[0])
    assert "can you answer a question" not in page


def test_notifications_are_shown_in_the_readers_language(client):
    # given a notification written while someone browsed in English
    user = UserFactory()
    with translation.override("en"):
        notification_create(
            recipient=user,
            kind=NotificationKind.NEW_FOLLOWER,
            title="%(name)s follows you",
            params={"name": "Ann"},
            email=False,
        )
    client.force_login(user)
    # then the inbox shows it in each reader's language, and so does the API
    assert "Ann follows you" in client.get(reverse("community:inbox"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Ann 关注了你" in client.get(reverse("community:inbox"), HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    api = client.get("/api/v1/notifications/", HTTP_ACCEPT_LANGUAGE="zh-CN").json()
    assert api["results"][0]["title"] == "Ann 关注了你"


@pytest.mark.parametrize(
    ("language", "subject"),
    [("zh-hans", "Bo 回答了你的问题"), ("en", "Bo answered your question")],
)
def test_emails_are_written_in_the_recipients_language(language, subject):
    # given an asker who reads `language`, answered while the answerer browses in the other one
    asker = UserFactory(language=language)
    with translation.override("en" if language != "en" else "zh-hans"):
        notification = notification_create(
            recipient=asker,
            kind=NotificationKind.QUESTION_ANSWERED,
            title="%(name)s answered your question",
            body="%(text)s",
            params={"name": "Bo", "text": "尺码 is true to size."},
            url="/questions/1/",
        )
        # when the e-mail goes out
        assert notifications_email_send(notification_ids=[notification.pk]) == 1
    # then it is in the asker's language, and its link goes through the inbox (never a 404)
    message = mail.outbox[-1]
    assert message.subject == subject
    assert message.body.startswith("尺码 is true to size.")
    assert reverse("community:notification_open", args=[notification.pk]) in message.body


def test_the_language_switcher_remembers_a_signed_in_persons_language(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.language == "zh-hans"
    # an unknown language changes nothing
    client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    user.refresh_from_db()
    assert user.language == "zh-hans"


def test_development_emails_are_logged_at_info(caplog):
    with caplog.at_level(logging.INFO, logger="core.mail"):
        sent = LoggingEmailBackend().send_messages([mail.EmailMessage("Hello", "Body", to=["a@example.com"])])
    assert sent == 1
    assert [(r.levelname, r.getMessage().splitlines()[0]) for r in caplog.records] == [
        ("INFO", "E-mail to a@example.com: Hello")
    ]


@pytest.mark.parametrize(("accept", "stored"), [("zh-CN,zh;q=0.9", "zh-hans"), ("en-GB", "en")])
def test_sign_up_remembers_the_language_of_the_request(client, accept, stored):
    # the page
    client.post(
        reverse("signup"),
        {"username": "page_user", "password1": "a-Long-pass-2026", "password2": "a-Long-pass-2026"},
        HTTP_ACCEPT_LANGUAGE=accept,
    )
    # and the API
    client.post(
        "/api/v1/auth/register/",
        {"username": "api_user", "password": "a-Long-pass-2026"},
        HTTP_ACCEPT_LANGUAGE=accept,
        content_type="application/json",
    )
    from community.models import User

    assert dict(User.objects.filter(username__in=["page_user", "api_user"]).values_list("username", "language")) == {
        "page_user": stored,
        "api_user": stored,
    }
