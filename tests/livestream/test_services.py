"""Going live and ending (media-server hooks, the page), stream keys, reminders, the "host is
live" fan-out on a real Celery worker, and visits/attribution against a hand-built scenario."""

from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from community.models import Notification, NotificationKind
from core.errors import ApplicationError
from livestream.models import Room, RoomStatus
from livestream.selectors import room_stats
from livestream.services import live, rooms, stats
from marketplace.services.checkout import order_place
from marketplace.services.orders import order_cancel
from tests.community.factories import UserFactory, UserFollowFactory
from tests.concurrency import wait_for
from tests.livestream.factories import RoomFactory, StreamKeyFactory, live_room_with_shelf
from tests.marketplace.factories import OrderFactory, ProductFactory


def _hook(name: str, *, done: bool = False):
    url = reverse("livestream:media_publish_done" if done else "livestream:media_publish")
    data = {"call": "publish_done" if done else "publish", "app": "live", "name": name, "addr": "127.0.0.1"}
    return Client(enforce_csrf_checks=True).post(url, data)


@pytest.mark.django_db
def test_publish_hook_accepts_the_hosts_key_and_the_room_goes_live(settings):
    settings.LIVE_RTMP_RELAY = "rtmp://127.0.0.1:1935/show"
    key = StreamKeyFactory()
    later = RoomFactory(host=key.user, scheduled_at=timezone.now() + timedelta(days=1))
    room = RoomFactory(host=key.user)

    response = _hook(key.key)

    room.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == f"rtmp://127.0.0.1:1935/show/{room.stream_name}"
    assert room.status == RoomStatus.LIVE and room.started_at is not None
    assert key.key not in room.stream_name
    assert Room.objects.get(pk=later.pk).status == RoomStatus.SCHEDULED  # the next one only
    assert _hook(key.key).status_code == 302  # a reconnect keeps the same room live
    assert Room.objects.filter(status=RoomStatus.LIVE).count() == 1


@pytest.mark.django_db
def test_publish_hook_refuses_unknown_and_rotated_keys_and_hosts_with_no_room():
    key = StreamKeyFactory()
    RoomFactory(host=key.user)
    old = key.key
    rooms.stream_key_rotate(user=key.user)

    assert _hook("sk_not-a-key").status_code == 403
    assert _hook(old).status_code == 403
    assert _hook("").status_code == 403
    assert _hook(StreamKeyFactory().key).status_code == 403  # a valid key but nothing scheduled
    assert not Room.objects.filter(status=RoomStatus.LIVE).exists()
    assert Client().get(reverse("livestream:media_publish")).status_code == 405


@pytest.mark.django_db
def test_publish_done_ends_the_room_by_its_public_name_or_key():
    key = StreamKeyFactory()
    first, second = RoomFactory(host=key.user), RoomFactory(host=key.user)
    _hook(key.key)
    first.refresh_from_db()

    assert _hook(first.stream_name, done=True).status_code == 200
    _hook(key.key)
    assert _hook(key.key, done=True).status_code == 200
    assert _hook("nothing-live", done=True).status_code == 200

    assert set(Room.objects.values_list("status", flat=True)) == {RoomStatus.ENDED}
    assert Room.objects.get(pk=second.pk).ended_at is not None


@pytest.mark.django_db
def test_media_hooks_answer_over_plain_http_when_ssl_redirect_is_on(settings):
    settings.SECURE_SSL_REDIRECT = True
    key = StreamKeyFactory()
    RoomFactory(host=key.user)
    assert _hook(key.key).status_code == 302
    assert _hook(key.key).get("Location", "").startswith("rtmp://")
    assert Client().get("/live/").status_code == 301  # pages still redirect to https


@pytest.mark.django_db
def test_the_host_starts_and_ends_from_the_page_and_others_cannot():
    room = RoomFactory()
    with pytest.raises(ApplicationError) as refused:
        rooms.room_start_by_host(room=room, user=UserFactory())
    assert refused.value.status == 403
    rooms.room_start_by_host(room=room, user=room.host)
    with pytest.raises(ApplicationError):
        rooms.room_start_by_host(room=room, user=room.host)
    rooms.room_end_by_host(room=room, user=room.host, message="Thanks!")
    room.refresh_from_db()
    assert (room.status, room.end_message) == (RoomStatus.ENDED, "Thanks!")


@pytest.mark.django_db
def test_remind_me_only_before_the_start():
    room, user = RoomFactory(), UserFactory()
    assert rooms.room_remind(room=room, user=user) is True
    assert rooms.room_remind(room=room, user=user) is False
    assert rooms.room_remind(room=room, user=user, on=False) is True
    rooms.room_go_live(room=room)
    with pytest.raises(ApplicationError):
        rooms.room_remind(room=room, user=user)


@pytest.mark.django_db(transaction=True)
def test_going_live_notifies_followers_and_reminded_once_through_a_real_worker(celery_worker):
    key = StreamKeyFactory()
    room = RoomFactory(host=key.user, title="Pearl night")
    followers = [UserFollowFactory(user=key.user).follower for _ in range(3)]
    reminded = UserFactory()
    rooms.room_remind(room=room, user=reminded)
    rooms.room_remind(room=room, user=followers[0])  # both: still one notification
    stranger = UserFactory()

    assert _hook(key.key).status_code == 302

    notified = Notification.objects.filter(kind=NotificationKind.LIVE_STARTED)
    assert wait_for(lambda: notified.count() == 4)
    assert set(notified.values_list("recipient_id", flat=True)) == {*(f.pk for f in followers), reminded.pk}
    assert stranger.pk not in notified.values_list("recipient_id", flat=True)
    assert all("Pearl night" in n.shown_title for n in notified)
    assert rooms.room_live_notify(room_id=room.pk) == 0  # a retried task notifies nobody twice


@pytest.mark.django_db
def test_stream_key_rotation_makes_a_new_secret():
    user = UserFactory()
    first = rooms.stream_key_get(user=user).key
    assert rooms.stream_key_get(user=user).key == first
    assert rooms.stream_key_rotate(user=user).key != first


@pytest.mark.django_db(transaction=True)
def test_visit_rate_and_attributed_sales_match_a_hand_built_scenario():
    """10 unique viewers; 4 of them click through (one twice, one to the store); 3 of the
    clickers buy from the clicked shop (one cancels later), one buys from a shop they did not
    click; a non-viewer buys too. Visit rate 4/10; attributed: 2 orders, ¥150 + ¥80."""
    room, (pen, bag) = live_room_with_shelf()
    pen.price, bag.price = Decimal("150.00"), Decimal("80.00")
    pen.save(update_fields=["price"])
    bag.save(update_fields=["price"])
    other = ProductFactory(price=Decimal("30.00"))
    viewers = UserFactory.create_batch(10)
    live.room_viewers_record(room_id=room.pk, current=10, viewers=[(f"u{v.pk}", v.pk) for v in viewers])
    a, b, c, d = viewers[:4]
    stats.room_click(room=room, viewer_key=f"u{a.pk}", user=a, product=pen)
    stats.room_click(room=room, viewer_key=f"u{a.pk}", user=a, product=pen)
    stats.room_click(room=room, viewer_key=f"u{b.pk}", user=b, shop=bag.shop)
    stats.room_click(room=room, viewer_key=f"u{c.pk}", user=c, product=pen)
    stats.room_click(room=room, viewer_key=f"u{d.pk}", user=d, product=bag)

    order_place(buyer=a, items=[(pen.pk, 1)])  # attributed ¥150
    order_place(buyer=b, items=[(bag.pk, 1)])  # attributed ¥80 (store visit)
    cancelled = order_place(buyer=c, items=[(pen.pk, 1)])[0]  # attributed, then cancelled
    order_place(buyer=d, items=[(other.pk, 1)])  # clicked the bag's shop, bought elsewhere
    order_place(buyer=UserFactory(), items=[(pen.pk, 1)])  # never in the room
    order_cancel(order=cancelled, buyer=c)

    numbers = room_stats(room=Room.objects.get(pk=room.pk))
    assert numbers.unique_viewers == 10
    assert (numbers.store_visits, numbers.unique_visitors) == (5, 4)
    assert numbers.visit_rate == pytest.approx(0.4)
    assert numbers.attributed_orders == 2
    assert numbers.attributed_sales == Decimal("230.00")


def _deal_frames_after(room, action) -> list[dict]:
    """The ``deal`` frames ``room``'s sockets get while ``action`` runs."""
    import asyncio

    from asgiref.sync import async_to_sync, sync_to_async
    from channels.layers import get_channel_layer

    async def run():
        layer = get_channel_layer()
        channel = await layer.new_channel()
        await layer.group_add(room.group, channel)
        await sync_to_async(action)()  # the test's own connection (no close_old_connections)
        frames = []
        try:
            while True:
                message = await asyncio.wait_for(layer.receive(channel), timeout=0.5)
                frames += [event for event in message["events"] if event["type"] == "deal"]
        except TimeoutError:
            pass
        await layer.group_discard(room.group, channel)
        return frames

    return async_to_sync(run)()


@pytest.mark.django_db
def test_an_order_of_a_pinned_deal_moves_the_room_counter_and_other_orders_read_nothing(
    django_assert_num_queries, redis_url
):
    # given the pinned deals known (built by an earlier order), then a room that pins a
    # room-only deal, and another deal nobody shows any more
    buyer = UserFactory()
    room, (pen, _bag) = live_room_with_shelf()
    nothing = SimpleNamespace(deal_id=10**9, product_id=pen.pk, amount=Decimal("1.00"))
    stats.order_placed_in_room(order_id=0, buyer_id=buyer.pk, shop_id=pen.shop_id, lines=[nothing])
    pin = live.room_pin(room=room, product_id=pen.pk, by=room.host, deal_price=Decimal("10.00"), deal_quantity=5)
    other_room, (other, _) = live_room_with_shelf()
    unpinned = live.room_pin(room=other_room, product_id=other.pk, by=other_room.host, deal_price=Decimal("9.00"))
    live.room_unpin(room=other_room, by=other_room.host)
    line = SimpleNamespace(deal_id=pin.deal_id, product_id=pen.pk, amount=Decimal("10.00"))
    # when an order of the pinned deal is announced
    frames = _deal_frames_after(
        room, lambda: stats.order_placed_in_room(order_id=1, buyer_id=buyer.pk, shop_id=pen.shop_id, lines=[line])
    )
    # then the room is told the deal's count at once
    assert frames == [{"type": "deal", "id": pin.deal_id, "sold": 0, "quantity": 5}]
    # and an order of a deal no room shows (found unpinned once, then forgotten), by a buyer
    # who clicked from no room, reads nothing
    gone = SimpleNamespace(deal_id=unpinned.deal_id, product_id=other.pk, amount=Decimal("9.00"))
    stats.order_placed_in_room(order_id=2, buyer_id=buyer.pk, shop_id=other.shop_id, lines=[gone])
    with django_assert_num_queries(0):
        stats.order_placed_in_room(order_id=3, buyer_id=buyer.pk, shop_id=other.shop_id, lines=[gone])


@pytest.mark.django_db
def test_a_room_click_just_before_an_order_is_attributed_with_the_clickers_known():
    # given the clickers known (built by an earlier order), and a viewer who clicks through
    room, (pen, _bag) = live_room_with_shelf()
    buyer = UserFactory()
    line = SimpleNamespace(deal_id=None, product_id=pen.pk, amount=Decimal("100.00"))
    assert stats.order_attribute(order_id=1, buyer_id=buyer.pk, shop_id=pen.shop_id, lines=[line]) is None
    stats.room_click(room=room, viewer_key=f"u{buyer.pk}", user=buyer, product=pen)
    order = OrderFactory(buyer=buyer, shop=pen.shop)
    # when they order at once
    attribution = stats.order_attribute(order_id=order.pk, buyer_id=buyer.pk, shop_id=pen.shop_id, lines=[line])
    # then the order is the room's
    assert attribution is not None and attribution.room_id == room.pk
