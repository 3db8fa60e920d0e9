"""The room socket end to end (channel layer: Redis pub/sub in CI, in-memory locally): every
frame type, limits, refusals, and broadcasts from services reaching every viewer."""

import asyncio
import time
from decimal import Decimal

import pytest
from channels.db import database_sync_to_async
from django.conf import settings
from rest_framework.authtoken.models import Token

from community.models import Activity, ActivityKind, BlockedTerm, Case, TermAction, TermMatch
from core.realtime import GroupHub, presence_update
from core.visibility import Visibility
from livestream.models import ChatMessage, Room, RoomProduct, RoomStatus, RoomVote
from livestream.services import live, rooms
from marketplace.models import DealClaim
from tests.community.factories import UserFactory, make_moderator
from tests.livestream.factories import ChatMessageFactory, RoomFactory, live_room_with_shelf
from tests.livestream.sockets import join, leave_all, run

pytestmark = pytest.mark.django_db(transaction=True)


def test_hello_carries_the_room_the_pin_and_the_chat_backlog():
    room, (product, _) = live_room_with_shelf()
    ChatMessageFactory(room=room, text="first!")
    ChatMessageFactory(room=room, text="hidden one", visibility=Visibility.HIDDEN)
    live.room_pin(room=room, product_id=product.pk, by=room.host)

    async def scenario():
        viewer = await join(room)
        await leave_all(viewer)
        return viewer.hello

    hello = run(scenario)
    assert hello["type"] == "hello"
    assert hello["room"]["id"] == room.pk and hello["room"]["status"] == "live"
    assert hello["me"] == {"user": None, "name": None, "host": False}
    assert [m["text"] for m in hello["chat"]] == ["first!"]
    assert hello["pin"]["product"]["id"] == product.pk
    assert hello["tally"] == {"type": "tally", "product": product.pk, "yea": 0, "nay": 0}


def test_chat_reaches_every_viewer_and_is_stored():
    room, _ = live_room_with_shelf()
    alice = UserFactory(display_name="Alice")

    async def scenario():
        a = await join(room, user=alice)
        b = await join(room)
        await a.send(type="chat", text="  hello   everyone ")
        seen = [await v.wait_for(lambda e: e["type"] == "chat") for v in (a, b)]
        await leave_all(a, b)
        return seen

    seen = run(scenario)
    assert [e["text"] for e in seen] == ["hello everyone", "hello everyone"]
    assert seen[0]["name"] == "Alice" and seen[0]["user"] == alice.pk
    assert list(ChatMessage.objects.values_list("text", "user_id")) == [("hello everyone", alice.pk)]
    assert Room.objects.get(pk=room.pk).messages_count == 1


def test_anonymous_viewers_may_heart_but_not_write():
    room, (product, _) = live_room_with_shelf()
    live.room_pin(room=room, product_id=product.pk, by=room.host)

    async def scenario():
        anon = await join(room)
        errors = []
        for frame in (
            {"type": "chat", "text": "hi"},
            {"type": "vote", "product": product.pk, "value": "yea"},
            {"type": "grab"},
            {"type": "pin", "product": product.pk},
        ):
            await anon.send(**frame)
            errors.append(await anon.wait_for(lambda e: e["type"] == "error"))
            anon.events.clear()
        await anon.send(type="heart", count=3)
        hearts = await anon.wait_for(lambda e: e["type"] == "hearts")
        await leave_all(anon)
        return errors, hearts

    errors, hearts = run(scenario)
    assert [e["code"] for e in errors] == ["sign_in"] * 4
    assert hearts["total"] == 3
    assert not ChatMessage.objects.exists() and not RoomVote.objects.exists()


def test_chat_rate_limit_allows_a_burst_of_five_then_refuses():
    room, _ = live_room_with_shelf()
    user = UserFactory()

    async def scenario():
        viewer = await join(room, user=user)
        for n in range(6):
            await viewer.send(type="chat", text=f"msg {n}")
        error = await viewer.wait_for(lambda e: e["type"] == "error")
        await viewer.wait_for(lambda e: e["type"] == "chat" and e["text"] == "msg 4")
        await leave_all(viewer)
        return error

    error = run(scenario)
    assert error["code"] == "rate_limited"
    assert ChatMessage.objects.count() == 5


def test_blocked_terms_and_overlong_messages_are_refused(settings):
    BlockedTerm.objects.create(pattern="badword", match=TermMatch.WORD, action=TermAction.REJECT)
    room, _ = live_room_with_shelf()
    user = UserFactory()

    async def scenario():
        viewer = await join(room, user=user)
        codes = []
        for text in ("this has a BadWord in it", "x" * (settings.LIVE_CHAT_MAX_LENGTH + 1), "   "):
            await viewer.send(type="chat", text=text)
            codes.append((await viewer.wait_for(lambda e: e["type"] == "error"))["code"])
            viewer.events.clear()
        await leave_all(viewer)
        return codes

    assert run(scenario) == ["blocked_term", "too_long", "empty"]
    assert not ChatMessage.objects.exists()


def test_malformed_and_unknown_frames_get_error_frames_and_the_socket_stays_open():
    room, _ = live_room_with_shelf()
    user = UserFactory()

    async def scenario():
        viewer = await join(room, user=user)
        codes = []
        for send in (
            viewer.send_text("not json"),
            viewer.send_text("[1, 2]"),
            viewer.send_text('{"no": "type"}'),
            viewer.send(type="dance"),
            viewer.send(type="vote", product="abc", value="yea"),
            viewer.send(type="heart", count=10_000),
            viewer.send(type="chat", text=42),
        ):
            await send
            codes.append((await viewer.wait_for(lambda e: e["type"] == "error"))["code"])
            viewer.events.clear()
        await viewer.send(type="ping", t=7)
        pong = await viewer.wait_for(lambda e: e["type"] == "pong")
        await leave_all(viewer)
        return codes, pong

    codes, pong = run(scenario)
    assert codes == ["bad_frame", "bad_frame", "bad_frame", "unknown_type", "bad_frame", "bad_frame", "bad_frame"]
    assert pong == {"type": "pong", "t": 7}


def test_foreign_origin_is_refused_and_a_client_without_origin_is_not():
    room = RoomFactory(status=RoomStatus.LIVE)

    async def scenario():
        foreign = await join(room, origin=b"http://evil.example")
        native = await join(room, origin=None)
        await leave_all(native)
        return foreign, native

    foreign, native = run(scenario)
    assert foreign is None
    assert native is not None and native.hello["type"] == "hello"


def test_a_missing_or_hidden_room_closes_the_socket():
    hidden = RoomFactory(status=RoomStatus.LIVE, visibility=Visibility.HIDDEN)

    async def scenario():
        return await join(hidden), await join(Room(pk=999_999))

    assert run(scenario) == (None, None)


def test_token_auth_signs_the_mobile_app_in():
    room, _ = live_room_with_shelf()
    user = UserFactory(display_name="Mobile")
    token = Token.objects.create(user=user)

    async def scenario():
        app = await join(room, token=token.key, origin=None)
        bad = await join(room, token="not-a-token", origin=None)
        await app.send(type="chat", text="from the app")
        chat = await app.wait_for(lambda e: e["type"] == "chat")
        await bad.send(type="chat", text="nope")
        error = await bad.wait_for(lambda e: e["type"] == "error")
        await leave_all(app, bad)
        return app.hello, chat, error

    hello, chat, error = run(scenario)
    assert hello["me"]["user"] == user.pk
    assert chat["name"] == "Mobile"
    assert error["code"] == "sign_in"


def test_hearts_are_coalesced_into_a_few_frames_and_persisted():
    room, _ = live_room_with_shelf()

    async def scenario():
        a, b = await join(room), await join(room)
        started = time.monotonic()
        for _ in range(20):
            await a.send(type="heart")
            await b.send(type="heart")
        await a.wait_for(lambda e: e["type"] == "hearts" and e["total"] >= 20, timeout=5)
        await b.wait_for(lambda e: e["type"] == "hearts" and e["total"] >= 20, timeout=5)
        await asyncio.sleep(0.5)  # anything still pending
        await b.pump(0.3)
        elapsed = time.monotonic() - started
        frames = sum(1 for f in b.frames if f["type"] == "batch")
        total = max(e["total"] for e in b.events if e["type"] == "hearts")
        await leave_all(a, b)
        return frames, total, elapsed

    frames, total, elapsed = run(scenario)
    # 40 taps, capped at 10 a second per socket: 20 counted when each socket's 20 taps fall in one
    # second, up to 40 when they straddle a second boundary (a slow machine); never one per tap
    # beyond the cap, and at most one frame per REALTIME_FRAME_SECONDS, far fewer than the taps.
    assert 20 <= total <= 40
    assert frames <= elapsed / settings.REALTIME_FRAME_SECONDS + 2 and frames < 40
    assert Room.objects.get(pk=room.pk).hearts == total


def test_the_host_pins_a_product_viewers_see_it_and_their_watching_is_recorded():
    room, (product, other) = live_room_with_shelf()
    viewer_user = UserFactory()

    async def scenario():
        host = await join(room, user=room.host)
        viewer = await join(room, user=viewer_user)
        await viewer.send(type="pin", product=product.pk)
        refused = await viewer.wait_for(lambda e: e["type"] == "error")
        await host.send(type="pin", product=product.pk)
        pin = await viewer.wait_for(lambda e: e["type"] == "pin" and e["pin"])
        await host.send(type="pin", product=999_999)
        not_on_shelf = await host.wait_for(lambda e: e["type"] == "error")
        await asyncio.sleep(0.5)  # the watcher record runs after the frame
        await leave_all(host, viewer)
        return refused, pin, not_on_shelf

    refused, pin, not_on_shelf = run(scenario)
    assert refused["code"] == "permission_denied"
    assert pin["pin"]["product"]["id"] == product.pk and pin["pin"]["product"]["price"] == "100.00"
    assert pin["pin"]["product"]["visit_shop"] == f"/live/{room.pk}/go/shop/{product.shop_id}/"
    assert not_on_shelf["code"] == "not_on_shelf"
    watched = Activity.objects.filter(kind=ActivityKind.WATCHED_LIVE, product=product)
    assert set(watched.values_list("user_id", flat=True)) == {viewer_user.pk, room.host_id}


def test_votes_move_the_tally_live_and_a_changed_vote_moves_one_unit():
    room, (product, other) = live_room_with_shelf()
    voters = [UserFactory() for _ in range(2)]
    live.room_pin(room=room, product_id=product.pk, by=room.host)

    async def scenario():
        a, b = await join(room, user=voters[0]), await join(room, user=voters[1])
        watcher = await join(room)
        await a.send(type="vote", product=product.pk, value="yea")
        await watcher.wait_for(lambda e: e["type"] == "tally" and e["yea"] == 1)
        await b.send(type="vote", product=product.pk, value="yea")
        await watcher.wait_for(lambda e: e["type"] == "tally" and e["yea"] == 2)
        await b.send(type="vote", product=product.pk, value="nay")
        final = await watcher.wait_for(lambda e: e["type"] == "tally" and e["nay"] == 1)
        await a.send(type="vote", product=other.pk, value="yea")
        error = await a.wait_for(lambda e: e["type"] == "error")
        await a.send(type="vote", product=product.pk, value="maybe")
        invalid = await a.wait_for(lambda e: e["type"] == "error" and e is not error)
        await leave_all(a, b, watcher)
        return final, error, invalid

    final, error, invalid = run(scenario)
    assert (final["yea"], final["nay"]) == (1, 1)
    assert error["code"] == "not_featured"
    assert invalid["code"] == "invalid_vote"
    assert RoomProduct.objects.values_list("yea", "nay").get(room=room, product=product) == (1, 1)
    assert RoomVote.objects.filter(room=room).count() == 2


def test_a_removed_message_disappears_from_every_viewer():
    room, _ = live_room_with_shelf()
    author, moderator = UserFactory(), UserFactory(is_staff=True)

    async def scenario():
        viewers = [await join(room, user=author), await join(room), await join(room)]
        await viewers[0].send(type="chat", text="spam spam")
        chat = await viewers[1].wait_for(lambda e: e["type"] == "chat")
        message = await database_sync_to_async(ChatMessage.objects.get)(pk=chat["id"])
        await database_sync_to_async(live.chat_message_set_visibility)(
            obj=message, status=Visibility.HIDDEN, by=moderator, reason="spam"
        )
        removed = [await v.wait_for(lambda e: e["type"] == "chat.removed") for v in viewers]
        await leave_all(*viewers)
        return chat, removed

    chat, removed = run(scenario)
    assert [e["id"] for e in removed] == [chat["id"]] * 3
    assert ChatMessage.objects.get(pk=chat["id"]).visibility == Visibility.HIDDEN


def test_viewer_count_follows_sockets_and_drops_a_viewer_whose_process_vanished():
    room, _ = live_room_with_shelf()

    async def scenario():
        a, b = await join(room), await join(room)
        two = await a.wait_for(lambda e: e["type"] == "viewers" and e["now"] == 2)
        # A viewer held by a process that died: beaten once, never again.
        await presence_update(f"live:viewers:{room.pk}", add=["ghost"], ttl=1.0)
        three = await a.wait_for(lambda e: e["type"] == "viewers" and e["now"] == 3)
        a.events.clear()
        back = await a.wait_for(lambda e: e["type"] == "viewers" and e["now"] == 2, timeout=5)
        a.events.clear()
        await b.close()
        one = await a.wait_for(lambda e: e["type"] == "viewers" and e["now"] == 1)
        await leave_all(a)
        return two, three, back, one

    two, three, back, one = run(scenario)
    assert three["peak"] == 3 and one["peak"] == 3
    assert Room.objects.get(pk=room.pk).peak_viewers == 3


def test_grabbing_a_room_deal_admits_the_viewer_to_its_audience():
    room, (product, _) = live_room_with_shelf()
    viewer_user, outsider = UserFactory(), UserFactory()

    async def scenario():
        host = await join(room, user=room.host)
        viewer = await join(room, user=viewer_user)
        await viewer.send(type="grab")
        nothing = await viewer.wait_for(lambda e: e["type"] == "error")
        await host.send(type="pin", product=product.pk, deal={"price": "59.00", "quantity": 5, "minutes": 2})
        pin = await viewer.wait_for(lambda e: e["type"] == "pin" and e["pin"])
        await viewer.send(type="grab")
        grabbed = await viewer.wait_for(lambda e: e["type"] == "grabbed")
        await leave_all(host, viewer)
        return nothing, pin, grabbed

    nothing, pin, grabbed = run(scenario)
    assert nothing["code"] == "no_deal"
    assert pin["pin"]["deal"]["price"] == "59.00" and pin["pin"]["deal"]["quantity"] == 5
    assert grabbed["price"] == "59.00" and grabbed["product"] == product.pk
    assert list(DealClaim.objects.values_list("buyer_id", flat=True)) == [viewer_user.pk]
    assert outsider.pk not in DealClaim.objects.values_list("buyer_id", flat=True)
    assert Decimal(grabbed["price"]) < product.price


def test_ending_the_room_tells_viewers_and_stops_chat():
    room, _ = live_room_with_shelf()
    user = UserFactory()
    moderator = make_moderator()

    async def scenario():
        viewer = await join(room, user=user)
        await database_sync_to_async(rooms.room_force_end)(room=room, by=moderator, message="Closed for rule breaking")
        ended = await viewer.wait_for(lambda e: e["type"] == "room")
        await viewer.send(type="chat", text="still here?")
        error = await viewer.wait_for(lambda e: e["type"] == "error")
        await leave_all(viewer)
        return ended, error

    ended, error = run(scenario)
    assert ended["status"] == "ended" and ended["message"] == "Closed for rule breaking"
    assert error["code"] == "room_ended"


def test_hubs_are_gone_after_everyone_leaves():
    room = RoomFactory(status=RoomStatus.LIVE)

    async def scenario():
        viewers = [await join(room) for _ in range(3)]
        during = len(GroupHub.local_hubs())
        for viewer in viewers:
            await viewer.close()
        await asyncio.sleep(GroupHub.linger_seconds + 0.5)
        return during, len(GroupHub.local_hubs())

    assert run(scenario) == (1, 0)


def test_counters_work_in_one_process_without_redis(settings):
    """``make run`` has no Redis (and a Redis outage falls back the same way): rate limits,
    counters and presence live in the process."""
    from core.realtime import counter_add, counter_get, presence_members, rate_allow

    settings.REDIS_URL = ""

    async def scenario():
        allowed = [await rate_allow("t:chat:1", per_second=1, burst=5) for _ in range(6)]
        total = await counter_add("t:hearts", 3) + 0
        total = await counter_add("t:hearts", 4)
        here = await presence_update("t:viewers", add=["u1", "u2"], ttl=30)
        gone = await presence_update("t:viewers", remove=["u1"], ttl=30)
        return allowed, total, await counter_get("t:hearts"), here, gone, await presence_members("t:viewers")

    allowed, total, stored, here, gone, members = run(scenario)
    assert allowed == [True] * 5 + [False]
    assert (total, stored) == (7, 7)
    assert (here, gone, members) == (2, 1, ["u2"])


def test_the_room_works_on_the_in_memory_layer_without_redis(settings):
    """The ``make run`` set-up: in-memory channel layer, no Redis: chat and viewers still flow."""
    from channels.layers import channel_layers

    settings.REDIS_URL = ""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    channel_layers.backends.pop("default", None)
    room, _ = live_room_with_shelf()
    user = UserFactory()

    async def scenario():
        a, b = await join(room, user=user), await join(room)
        await a.send(type="chat", text="no redis here")
        chat = await b.wait_for(lambda e: e["type"] == "chat")
        viewers = await b.wait_for(lambda e: e["type"] == "viewers" and e["now"] == 2)
        await leave_all(a, b)
        return chat, viewers

    try:
        chat, viewers = run(scenario)
    finally:
        channel_layers.backends.pop("default", None)
    assert chat["text"] == "no redis here" and viewers["now"] == 2


def test_a_holding_term_keeps_a_chat_message_from_the_room_and_queues_it():
    BlockedTerm.objects.create(pattern="wechat", match=TermMatch.SUBSTRING, action=TermAction.HOLD)
    room, _ = live_room_with_shelf()
    author = UserFactory()

    async def scenario():
        sender, other = await join(room, user=author), await join(room)
        await sender.send(type="chat", text="add my wechat for cheaper")
        error = await sender.wait_for(lambda e: e["type"] == "error")
        await sender.send(type="chat", text="hello everyone")
        shown = await other.wait_for(lambda e: e["type"] == "chat")
        await leave_all(sender, other)
        return error, shown, [e for e in other.events if e["type"] == "chat"]

    error, shown, chats = run(scenario)
    assert error["code"] == "held_for_review" and shown["text"] == "hello everyone"
    assert [e["text"] for e in chats] == ["hello everyone"]  # nobody else saw the held one
    held = ChatMessage.objects.get(text="add my wechat for cheaper")
    assert held.visibility == Visibility.HELD
    assert Case.objects.get(kind="chat_message", object_id=held.pk).held
