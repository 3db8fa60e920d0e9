"""The sale clock end to end on Redis with a real Celery worker: a sale scheduled a few seconds
ahead is reminded about, opens (followers of its shops get one notification each, however many
beats run), and closes. The other beat tasks round-trip through the broker too."""

import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from community.models import Notification, NotificationKind
from community.services.people import shop_follow
from marketplace.models import Order, OrderStatus, SaleEvent, SaleStatus
from marketplace.tasks.sales import orders_expire_overdue, sale_clock_tick, sale_rankings_recompute
from tests.community.factories import UserFactory
from tests.concurrency import wait_for
from tests.marketplace.factories import DealFactory, ProductFactory, SaleEventFactory, ShopFactory

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def tick() -> dict:
    """One beat, sent through the broker and run by the worker (what django-celery-beat does)."""
    return sale_clock_tick.delay().get(timeout=30)


def test_a_sale_opens_notifies_followers_once_and_closes_on_the_clock(redis_url, celery_worker):
    # given a sale opening in 3 s for 4 s, a deal from a shop, and two followers of that shop
    now = timezone.now()
    sale = SaleEventFactory(
        name="Flash Friday", starts_at=now + timedelta(seconds=3), ends_at=now + timedelta(seconds=7)
    )
    deal = DealFactory(sale=sale, product=ProductFactory(price=Decimal("50.00")), percent_off=20)
    followers = [UserFactory(), UserFactory()]
    for follower in followers:
        shop_follow(user=follower, shop=deal.product.shop)

    # when the clock beats through the broker until the sale has opened
    results = [tick()]
    while sale.id not in results[-1]["opened"]:
        assert timezone.now() < sale.starts_at + timedelta(seconds=15), results
        time.sleep(0.3)
        results.append(tick())
    results += [tick(), tick()]  # late or duplicate beats change nothing

    # then it was reminded once, opened once, at or after its start, and is live
    assert sum(r["reminded"].count(sale.id) for r in results) == 1
    assert sum(r["opened"].count(sale.id) for r in results) == 1
    sale.refresh_from_db()
    assert sale.status == SaleStatus.LIVE
    assert sale.opened_at >= sale.starts_at

    # and each follower gets one "opening soon" and one "opened" notification (fanned out by the worker)
    def kinds():
        rows = Notification.objects.filter(recipient__in=followers).values_list("recipient_id", "kind")
        return sorted(rows) if len(rows) >= 4 else None

    expected = sorted(
        (f.id, kind) for f in followers for kind in (NotificationKind.SALE_OPENING_SOON, NotificationKind.SALE_OPENED)
    )
    assert wait_for(kinds, timeout=20) == expected

    # when the clock keeps beating past the end
    closed = wait_for(lambda: sale.id in tick()["closed"], timeout=20, every=0.5)

    # then the sale closed once and nobody was notified twice
    assert closed
    sale.refresh_from_db()
    assert (sale.status, sale.closed_at >= sale.ends_at) == (SaleStatus.ENDED, True)
    assert tick()["closed"] == []
    assert Notification.objects.filter(recipient__in=followers).count() == 4


def test_leaderboard_and_expiry_tasks_round_trip_through_the_worker(redis_url, celery_worker):
    # given a live sale with no paid orders yet, and an unpaid order past its deadline
    now = timezone.now()
    sale = SaleEventFactory(starts_at=now - timedelta(minutes=5), ends_at=now + timedelta(hours=1))
    overdue = Order.objects.create(
        buyer=UserFactory(),
        shop=ShopFactory(),
        subtotal=Decimal("10.00"),
        total=Decimal("10.00"),
        expires_at=now - timedelta(minutes=1),
    )

    # when the beat's other two tasks are sent through the broker
    recomputed = sale_rankings_recompute.delay().get(timeout=30)
    expired = orders_expire_overdue.delay().get(timeout=30)

    # then the worker answers: the live sale's boards were recomputed and the order expired
    assert recomputed == [sale.id]
    assert expired == 1
    overdue.refresh_from_db()
    assert overdue.status == OrderStatus.EXPIRED
    assert SaleEvent.objects.get(pk=sale.pk).rankings.count() == 0
