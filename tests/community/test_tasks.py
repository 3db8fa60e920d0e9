"""Community Celery tasks through the configured broker (Redis in CI) and a real worker."""

import pytest
from django.core import mail
from django.utils import timezone

from community.models import Notification, NotificationKind, QuestionFeedEntry, QuestionInvitation, ShopFollow
from community.services.qa import question_ask
from community.tasks import (
    interest_profile_rebuild,
    interest_profiles_refresh,
    notifications_email,
    question_feed_rebuild,
)
from config.celery import app
from marketplace import signals
from marketplace.models import Order, SaleEvent
from tests.community.factories import ActivityFactory, NotificationFactory, QuestionFactory, UserFactory, make_purchase
from tests.concurrency import wait_for
from tests.marketplace.factories import DealFactory, ProductFactory, SaleEventFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_new_question_reaches_a_past_buyers_inbox_through_the_worker(redis_url, celery_worker, settings):
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


def test_sale_opened_signal_notifies_shop_followers_through_the_worker(redis_url, celery_worker):
    # given a shop in a sale with a follower
    deal = DealFactory(sale=SaleEventFactory(name="Double 12"))
    follower = UserFactory()
    ShopFollow.objects.create(user=follower, shop=deal.product.shop)
    # when the marketplace announces that the sale opened
    signals.sale_opened.send(sender=SaleEvent, sale_id=deal.sale_id)
    # then the follower's inbox has it
    inbox = Notification.objects.filter(recipient=follower, kind=NotificationKind.SALE_OPENED)
    assert wait_for(inbox.exists), "the sale notification did not arrive"
    assert inbox.get().shown_title == "Double 12 is on now"


def test_email_task_sends_once():
    notification = NotificationFactory(title="Your answer helped")
    assert notifications_email.apply(args=[[notification.pk]]).get() == 1
    assert notifications_email.apply(args=[[notification.pk]]).get() == 0
    assert [m.subject for m in mail.outbox] == ["Your answer helped"]


def test_interest_tasks_rebuild_recently_active_users_and_then_their_feed():
    # given someone who viewed a product, and a question in that product's category
    activity = ActivityFactory()
    question = QuestionFactory(product=ProductFactory(category=activity.category))
    QuestionFactory()  # elsewhere
    # when the periodic job runs (tasks executed in place)
    app.conf.task_always_eager = True
    try:
        assert interest_profiles_refresh.apply().get() == 1
    finally:
        app.conf.task_always_eager = False
    # then their interests are rebuilt, and after them their feed, the question they care about first
    assert activity.user.interests.get().category_id == activity.category_id
    entries = QuestionFeedEntry.objects.filter(user=activity.user).order_by("-score")
    assert [(e.question_id, e.reason) for e in entries][0] == (question.pk, "interest")
    assert interest_profile_rebuild.apply(args=[activity.user_id, timezone.now().isoformat()]).get() == 1
    assert question_feed_rebuild.apply(args=[activity.user_id, timezone.now().isoformat()]).get() == 2


def test_a_purchase_rebuilds_the_buyers_feed_through_the_worker(redis_url, celery_worker, settings):
    # given a product with a question, and a buyer whose feed was never built
    settings.QUESTION_FEED_REBUILD_DELAY_SECONDS = 0
    product = ProductFactory(title="Jade bangle")
    question = QuestionFactory(product=product)
    buyer = UserFactory()
    order = make_purchase(buyer, product)
    # when the marketplace announces the payment
    signals.order_paid.send(sender=Order, order_id=order.pk)
    # then the worker rebuilds their interests and then their feed, with the question as "bought"
    feed = QuestionFeedEntry.objects.filter(user=buyer, question=question, reason="bought")
    assert wait_for(feed.exists), "the feed was not rebuilt"
    assert buyer.interests.get().category_id == product.category_id
