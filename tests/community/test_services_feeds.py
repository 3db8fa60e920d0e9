"""The precomputed "for you" feed: rebuilds (idempotent, replacing, capped) and scheduling."""

from datetime import timedelta

import pytest
from django.utils import timezone

from community.models import QuestionFeedEntry
from community.services.activity import activities_record_order, activity_clear
from community.services.feeds import question_feed_rebuild, question_feed_rebuild_soon
from community.services.qa import answer_post, question_ask
from config.celery import app
from tests.community.factories import QuestionFactory, QuestionFeedEntryFactory, UserFactory, make_purchase
from tests.concurrency import raised, run_concurrently
from tests.marketplace.factories import ProductFactory

pytestmark = pytest.mark.django_db


def stored(user):
    return list(
        QuestionFeedEntry.objects.filter(user=user)
        .order_by("-score", "-question_id")
        .values_list("question_id", "score", "reason", "computed_at")
    )


def test_rebuild_is_idempotent_for_the_same_now(user):
    # given questions of different kinds (bought, popular) and a fixed moment
    bought = ProductFactory()
    make_purchase(user, bought)
    QuestionFactory(product=bought)
    QuestionFactory.create_batch(3, answer_count=2)
    now = timezone.now()
    # when the feed is rebuilt twice as of that moment
    question_feed_rebuild(user_id=user.pk, now=now)
    first = stored(user)
    question_feed_rebuild(user_id=user.pk, now=now)
    # then the rows are the same, one per question
    assert stored(user) == first
    assert len(first) == 4
    assert first[0][2] == "bought"
    assert {row[3] for row in first} == {now}


def test_rebuild_replaces_the_users_old_rows_and_leaves_others_alone(user):
    # given stale entries for the user (one about a question that no longer qualifies) and
    # someone else's entry
    stale = QuestionFeedEntryFactory(user=user, score=99.0, question=QuestionFactory(author=user))
    other = QuestionFeedEntryFactory()
    fresh = QuestionFactory()
    # when the user's feed is rebuilt
    entries = question_feed_rebuild(user_id=user.pk, now=timezone.now())
    # then only the current scoring is stored for them, and the other user's row is untouched
    assert [e.question_id for e in entries] == [fresh.pk, other.question_id]
    assert not QuestionFeedEntry.objects.filter(pk=stale.pk).exists()
    assert QuestionFeedEntry.objects.filter(pk=other.pk).exists()


def test_rebuild_keeps_the_top_feed_size_entries(user, settings):
    settings.QUESTION_FEED_SIZE = 3
    best = [QuestionFactory(answer_count=n) for n in (9, 8, 7)]
    QuestionFactory.create_batch(4)
    question_feed_rebuild(user_id=user.pk, now=timezone.now())
    assert [row[0] for row in stored(user)] == [q.pk for q in best]


def test_rebuild_leaves_out_questions_older_than_the_feed_window(user, settings):
    recent = QuestionFactory()
    old = QuestionFactory()
    now = timezone.now()
    type(old).objects.filter(pk=old.pk).update(created_at=now - timedelta(days=settings.QUESTION_FEED_DAYS + 1))
    question_feed_rebuild(user_id=user.pk, now=now)
    assert [row[0] for row in stored(user)] == [recent.pk]


def test_an_inactive_user_ends_up_with_no_entries(user):
    QuestionFeedEntryFactory(user=user)
    type(user).objects.filter(pk=user.pk).update(is_active=False)
    assert question_feed_rebuild(user_id=user.pk, now=timezone.now()) == []
    assert not QuestionFeedEntry.objects.filter(user=user).exists()


def test_clearing_history_clears_the_precomputed_feed(user):
    QuestionFeedEntryFactory(user=user)
    activity_clear(user=user)
    assert not QuestionFeedEntry.objects.filter(user=user).exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_rebuilds_of_one_user_leave_one_set_of_rows(postgres):
    # given a user and some questions
    user = UserFactory()
    QuestionFactory.create_batch(5)
    now = timezone.now()
    # when eight workers rebuild their feed at once (a redelivered task, a burst of events)
    errors = raised(run_concurrently([lambda: question_feed_rebuild(user_id=user.pk, now=now)] * 8))
    # then none failed on the unique constraint and the user has one entry per question
    assert errors == []
    assert QuestionFeedEntry.objects.filter(user=user).count() == 5


# --- scheduling ------------------------------------------------------------------------------


@pytest.fixture
def feeds_queue():
    """The ``feeds`` queue of the configured broker, emptied before and after; yields a function
    returning how many messages wait in it."""
    with app.connection_for_write() as conn:
        channel = conn.default_channel

        def purge():
            try:
                channel.queue_purge("feeds")
            except Exception:  # noqa: BLE001 - a queue never declared has nothing to purge
                pass

        purge()
        yield lambda: channel.queue_declare("feeds", passive=True).message_count
        purge()


def test_a_burst_of_activity_queues_one_rebuild(feeds_queue, settings, django_capture_on_commit_callbacks):
    # given a rebuild delay, a buyer and a product with a question
    settings.QUESTION_FEED_REBUILD_DELAY_SECONDS = 30
    buyer, asker = UserFactory(), UserFactory()
    product = ProductFactory()
    question = QuestionFactory(product=product, author=asker)
    order = make_purchase(buyer, product)
    # when they pay, ask and answer within the delay (each in its own committed transaction)
    for act in (
        lambda: activities_record_order(order_id=order.pk),
        lambda: question_ask(author=buyer, product=product, text="Does it come with a box?"),
        lambda: answer_post(author=buyer, question=question, text="Yes, a nice one."),
    ):
        with django_capture_on_commit_callbacks(execute=True):
            act()
    # then one rebuild is queued for the buyer (and the question is routed on ``notify``)
    assert feeds_queue() == 1


def test_without_a_delay_every_event_queues_a_rebuild(feeds_queue, settings, django_capture_on_commit_callbacks):
    settings.QUESTION_FEED_REBUILD_DELAY_SECONDS = 0
    user = UserFactory()
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            question_feed_rebuild_soon(user_id=user.pk)
    assert feeds_queue() == 2
