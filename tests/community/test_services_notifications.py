"""The inbox: deduplicated notifications, mark read, e-mail once, sale fan-out to shop followers."""

import pytest
from django.core import mail

from community.models import Notification, NotificationKind, ShopFollow
from community.selectors.notifications import notification_unread_count
from community.services.notifications import (
    notification_create,
    notifications_email_send,
    notifications_mark_read,
    sale_followers_notify,
)
from tests.community.factories import NotificationFactory, UserFactory
from tests.marketplace.factories import DealFactory, SaleEventFactory, ShopFactory

pytestmark = pytest.mark.django_db


def test_the_same_dedupe_key_notifies_once(user):
    first = notification_create(recipient=user, kind=NotificationKind.OTHER, title="Hi", dedupe_key="k1")
    second = notification_create(recipient=user, kind=NotificationKind.OTHER, title="Hi", dedupe_key="k1")
    assert first is not None
    assert second is None
    assert Notification.objects.filter(recipient=user).count() == 1


def test_notifications_are_emailed_once_after_commit(user, django_capture_on_commit_callbacks, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from config.celery import app

    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            n = notification_create(recipient=user, kind=NotificationKind.OTHER, title="Your parcel", url="/x/")
    finally:
        app.conf.task_always_eager = False
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [user.email]
    assert mail.outbox[0].subject == "Your parcel"
    # a retried task does not mail again
    assert notifications_email_send(notification_ids=[n.pk]) == 0
    assert len(mail.outbox) == 1


def test_users_without_email_get_no_mail():
    user = UserFactory(email="")
    n = notification_create(recipient=user, kind=NotificationKind.OTHER, title="Hi")
    assert notifications_email_send(notification_ids=[n.pk]) == 0
    assert mail.outbox == []


def test_mark_read_touches_only_your_own_and_the_badge_follows(user, django_capture_on_commit_callbacks):
    mine = NotificationFactory.create_batch(3, recipient=user)
    theirs = NotificationFactory(recipient=UserFactory())
    assert notification_unread_count(user=user) == 3
    # when one of mine and someone else's are marked read
    with django_capture_on_commit_callbacks(execute=True):
        assert notifications_mark_read(user=user, notification_ids=[mine[0].pk, theirs.pk]) == 1
    # then the badge shows two (the cache was dropped) and theirs is still unread
    assert notification_unread_count(user=user) == 2
    theirs.refresh_from_db()
    assert theirs.read_at is None
    # when all are marked read
    with django_capture_on_commit_callbacks(execute=True):
        assert notifications_mark_read(user=user) == 2
    assert notification_unread_count(user=user) == 0


def _sale_with_shops(*shops):
    sale = SaleEventFactory()
    for shop in shops:
        DealFactory(sale=sale, product__shop=shop)
    return sale


def test_sale_notifies_followers_of_participating_shops_once_each():
    # given two shops in a sale, one shop not in it, and followers
    a, b, outside = ShopFactory(), ShopFactory(), ShopFactory()
    sale = _sale_with_shops(a, b)
    both, only_a, only_outside = UserFactory(), UserFactory(), UserFactory()
    for user, shop in [(both, a), (both, b), (only_a, a), (only_outside, outside)]:
        ShopFollow.objects.create(user=user, shop=shop)
    # when the job runs twice
    assert sale_followers_notify(sale_id=sale.pk, when="opened") == 2
    assert sale_followers_notify(sale_id=sale.pk, when="opened") == 0
    # then each follower of a participating shop has exactly one entry; others none
    opened = Notification.objects.filter(kind=NotificationKind.SALE_OPENED)
    assert sorted(opened.values_list("recipient_id", flat=True)) == sorted([both.pk, only_a.pk])
    # and "opens soon" is a separate notification
    assert sale_followers_notify(sale_id=sale.pk, when="soon") == 2
    assert Notification.objects.filter(recipient=both).count() == 2


def test_sale_fanout_works_in_chunks(monkeypatch):
    from community.services import notifications

    monkeypatch.setattr(notifications, "FANOUT_CHUNK", 3)
    shop = ShopFactory()
    sale = _sale_with_shops(shop)
    users = UserFactory.create_batch(7)
    ShopFollow.objects.bulk_create(ShopFollow(user=u, shop=shop) for u in users)
    assert sale_followers_notify(sale_id=sale.pk, when="soon") == 7
    assert Notification.objects.filter(kind=NotificationKind.SALE_OPENING_SOON).count() == 7
