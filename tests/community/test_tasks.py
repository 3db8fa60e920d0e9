"""Community Celery tasks through the configured broker (Redis in CI) and a real worker."""

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.utils import timezone

from community.models import Notification, NotificationKind, QuestionInvitation, ShopFollow
from community.services.qa import question_ask
from community.tasks import interest_profile_rebuild, interest_profiles_refresh, notifications_email
from config.celery import app
from marketplace import signals
from marketplace.models import SaleEvent
from tests.community.factories import ActivityFactory, NotificationFactory, UserFactory, make_purchase
from tests.marketplace.factories import DealFactory, ProductFactory, SaleEventFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def notify_worker(redis_url):
    """A real worker consuming the queues community tasks are sent to."""
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10, queues=["notify", "feeds"]):
        yield


def wait_for(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_a_new_question_reaches_a_past_buyers_inbox_through_the_worker(notify_worker, settings):
    # given a product with a past buyer, and a shopper
    settings.QUESTION_ROUTING_INVITES = 5
    product = ProductFactory(title="Silk scarf")
    buyer, shopper = UserFactory(), UserFactory()
    make_purchase(buyer, product)
    # when the shopper asks (the routing task is queued on commit and run by the worker)
    question = question_ask(author=shopper, product=product, text="Is the silk heavy or light?")
    # then the invitation arrives in the buyer's inbox, and nobody else's
    invited = Notification.objects.filter(recipient=buyer, kind=NotificationKind.QUESTION_INVITE)
    assert wait_for(invited.exists), "the invitation did not arrive"
    assert invited.get().url == question.get_absolute_url()
    assert QuestionInvitation.objects.filter(question=question).count() == 1
    assert not Notification.objects.filter(recipient=shopper).exists()


def test_sale_opened_signal_notifies_shop_followers_through_the_worker(notify_worker):
    # given a shop in a sale with a follower
    deal = DealFactory(sale=SaleEventFactory(name="Double 12"))
    follower = UserFactory()
    ShopFollow.objects.create(user=follower, shop=deal.product.shop)
    # when the marketplace announces that the sale opened
    signals.sale_opened.send(sender=SaleEvent, sale_id=deal.sale_id)
    # then the follower's inbox has it
    inbox = Notification.objects.filter(recipient=follower, kind=NotificationKind.SALE_OPENED)
    assert wait_for(inbox.exists), "the sale notification did not arrive"
    assert inbox.get().title == "Double 12 is on now"


def test_email_task_sends_once():
    notification = NotificationFactory(title="Your answer helped")
    assert notifications_email.apply(args=[[notification.pk]]).get() == 1
    assert notifications_email.apply(args=[[notification.pk]]).get() == 0
    assert [m.subject for m in mail.outbox] == ["Your answer helped"]


def test_interest_tasks_rebuild_recently_active_users():
    activity = ActivityFactory()
    app.conf.task_always_eager = True
    try:
        assert interest_profiles_refresh.apply().get() == 1
    finally:
        app.conf.task_always_eager = False
    assert activity.user.interests.get().category_id == activity.category_id
    assert interest_profile_rebuild.apply(args=[activity.user_id, timezone.now().isoformat()]).get() == 1
