"""The room over WebSocket: ``/ws/live/<room_id>/`` (protocol: docs/live-protocol.md).

:class:`RoomConsumer` is thin: it authenticates (session or token, core/realtime.py), parses a
frame, calls one service, and hands the resulting event to its process's :class:`RoomHub`, which
coalesces everything the room says into at most one frame per socket per
``REALTIME_FRAME_SECONDS`` (core/realtime.py explains why and how). Sockets have no channel of
their own: frames reach them only through their hub.
"""

import asyncio
import json
import logging
import secrets
import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from core.realtime import (
    GroupHub,
    counter_add,
    counter_seed,
    encode,
    error_frame,
    frame,
    presence_update,
    rate_allow,
)
from livestream import selectors
from livestream.errors import LiveErrorCode
from livestream.frames import chat_frame, tally_frame
from livestream.models import Room
from livestream.services import live

logger = logging.getLogger(__name__)

#: Cookie naming an anonymous visitor (set by the room page) so clicks and views match.
VISITOR_COOKIE = "jishi_vid"


def viewer_key_for(user, cookies: dict) -> str:
    """``u<id>`` for a signed-in user, else the visitor cookie, else a fresh random key."""
    if user is not None and user.is_authenticated:
        return f"u{user.pk}"
    visitor = cookies.get(VISITOR_COOKIE, "")
    if visitor.isalnum() and 8 <= len(visitor) <= 32:
        return f"a{visitor}"
    return f"s{secrets.token_hex(8)}"


@database_sync_to_async
def _load_room(room_id: int) -> Room | None:
    return Room.objects.filter(pk=room_id, visibility="visible").first()


class RoomHub(GroupHub):
    """One room in one process: coalescing rules (hearts and viewers keep the latest value, a
    tally the latest per product), viewer presence, hearts, and what the process persists."""

    def __init__(self, group: str):
        super().__init__(group)
        self.room_id = int(group.rsplit(".", 1)[1])
        self.room: Room | None = None
        self.beat_seconds = settings.LIVE_PRESENCE_SECONDS
        self.hearts_total = 0
        self.hearts_pending = 0
        self.hearts_unsaved = 0
        self.viewers_now = 0
        self.peak = 0
        self.new_viewers: dict[str, int | None] = {}
        self.joining: set[str] = set()
        self.leaving: set[str] = set()
        self._presence_wanted = asyncio.Event()

    @property
    def hearts_key(self) -> str:
        return f"live:hearts:{self.room_id}"

    @property
    def presence_key(self) -> str:
        return f"live:viewers:{self.room_id}"

    async def started(self) -> None:
        self._tasks.append(asyncio.ensure_future(self._presence_loop()))
        self.room = await _load_room(self.room_id)
        if self.room is not None:
            self.peak = self.room.peak_viewers
            self.hearts_total = await counter_seed(self.hearts_key, self.room.hearts)

    def coalesce_key(self, event: dict) -> str | None:
        kind = event.get("type")
        if kind in ("hearts", "viewers"):
            return kind
        if kind == "tally":
            return f"tally:{event.get('product')}"
        return None

    def combine(self, old: dict, new: dict) -> dict:
        if new.get("type") == "hearts":
            return new if new.get("total", 0) >= old.get("total", 0) else old
        return new

    def received(self, events: list[dict]) -> None:
        for event in events:
            kind = event.get("type")
            if kind == "hearts":
                self.hearts_total = max(self.hearts_total, int(event.get("total") or 0))
            elif kind == "room" and self.room is not None:
                self.room.status = event.get("status", self.room.status)
            elif kind == "pin":
                pin = event.get("pin")
                if pin:
                    user_ids = [s.user.pk for s in self.sockets if s.user is not None and s.user.is_authenticated]
                    if user_ids:
                        self._record_watchers(pin["id"], user_ids)

    def _record_watchers(self, pin_id: int, user_ids: list[int]) -> None:
        asyncio.ensure_future(database_sync_to_async(live.pin_watchers_record)(pin_id=pin_id, user_ids=user_ids))

    # -- hearts --

    def add_hearts(self, count: int) -> None:
        self.hearts_pending += count
        self.nudge_publish()

    async def before_publish(self) -> list[dict]:
        if not self.hearts_pending:
            return []
        delta, self.hearts_pending = self.hearts_pending, 0
        total = await counter_add(self.hearts_key, delta)
        self.hearts_unsaved += delta
        self.hearts_total = max(self.hearts_total, total)
        return [frame("hearts", total=self.hearts_total)]

    async def _save_hearts(self) -> None:
        if self.hearts_unsaved:
            delta, self.hearts_unsaved = self.hearts_unsaved, 0
            await database_sync_to_async(live.room_hearts_add)(room_id=self.room_id, delta=delta)

    # -- viewers --

    def _ttl(self) -> float:
        return 3 * self.beat_seconds

    def _show_viewers(self, count: int) -> None:
        self.viewers_now = count
        self.peak = max(self.peak, count)
        self.show(frame("viewers", now=count, peak=self.peak))

    def viewer_joined(self, socket: "RoomConsumer") -> None:
        user = socket.user if socket.user is not None and socket.user.is_authenticated else None
        self.new_viewers[socket.viewer_key] = user.pk if user else None
        self.leaving.discard(socket.viewer_key)
        self.joining.add(socket.viewer_key)
        self._presence_wanted.set()

    def viewer_left(self, socket: "RoomConsumer") -> None:
        if any(other.viewer_key == socket.viewer_key for other in self.sockets if other is not socket):
            return
        self.joining.discard(socket.viewer_key)
        self.leaving.add(socket.viewer_key)
        self._presence_wanted.set()

    async def _presence_loop(self) -> None:
        """Joins and leaves go to the shared presence set in one call at a time per hub (a burst
        of a thousand connects is a few calls, not a thousand), at most 4 a second."""
        while True:
            await self._presence_wanted.wait()
            self._presence_wanted.clear()
            joining, leaving = self.joining, self.leaving
            self.joining, self.leaving = set(), set()
            try:
                count = await presence_update(self.presence_key, add=joining, remove=leaving, ttl=self._ttl())
            except Exception:  # noqa: BLE001 - the next beat corrects the count
                logger.exception("live: presence update of room %s failed", self.room_id)
            else:
                self._show_viewers(count)
            await asyncio.sleep(0.25)

    async def beat(self) -> None:
        """Heartbeat this process's viewers into the shared presence set, show the room-wide
        count, and persist peak, the per-minute sample, new unique viewers and hearts."""
        keys = {socket.viewer_key for socket in self.sockets}
        count = await presence_update(self.presence_key, add=keys, ttl=self._ttl())
        if count != self.viewers_now:
            self._show_viewers(count)
        new, self.new_viewers = self.new_viewers, {}
        if keys or new:
            self.peak = max(
                self.peak,
                await database_sync_to_async(live.room_viewers_record)(
                    room_id=self.room_id, current=count, viewers=list(new.items())
                ),
            )
        await self._save_hearts()

    async def stopping(self) -> None:
        await self._save_hearts()
        if self.new_viewers:
            await database_sync_to_async(live.room_viewers_record)(
                room_id=self.room_id, current=0, viewers=list(self.new_viewers.items())
            )


class RoomConsumer(AsyncJsonWebsocketConsumer):
    """One viewer's socket in one room."""

    # No per-socket channel (and no Redis subscription per socket): frames come from the hub.
    channel_layer_alias = "__none__"

    hub: RoomHub | None = None
    held: list[str] | None = None

    async def connect(self):
        self.room_id = int(self.scope["url_route"]["kwargs"]["room_id"])
        self.user = self.scope.get("user")
        self.viewer_key = viewer_key_for(self.user, self.scope.get("cookies", {}))
        self.hearts_window = (0.0, 0)
        self.hearts_refused: ApplicationError | None = None
        room = await _load_room(self.room_id)
        if room is None:
            await self.close(code=4404)
            return
        await self.accept()
        # Join first, then read the snapshot: nothing said in between is missed (frames from the
        # hub wait until the hello is out; clients drop chat ids they already have).
        self.held: list[str] | None = []
        self.hub = await RoomHub.join(f"live.room.{self.room_id}", self)
        hello = await database_sync_to_async(selectors.room_hello)(room=room, user=self.user)
        hello["viewers"] = {"now": self.hub.viewers_now, "peak": self.hub.peak}
        hello["hearts"] = self.hub.hearts_total
        await self.send(text_data=encode(hello))
        held, self.held = self.held, None
        for text in held:
            await self.send(text_data=text)
        self.hub.viewer_joined(self)

    async def disconnect(self, code):
        if self.hub is not None:
            hub, self.hub = self.hub, None
            hub.viewer_left(self)
            await hub.leave(self)

    async def hub_send(self, text: str) -> None:
        if self.held is not None:
            self.held.append(text)
        else:
            await self.send(text_data=text)

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        try:
            content = json.loads(text_data) if text_data is not None else None
        except ValueError:
            content = None
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            await self.send_error(LiveErrorCode.BAD_FRAME, _('Frames are JSON objects with a "type".'))
            return
        handler = self.HANDLERS.get(content["type"])
        if handler is None:
            await self.send_error(
                LiveErrorCode.UNKNOWN_TYPE, _("Unknown frame type: %(type)s.") % {"type": content["type"][:40]}
            )
            return
        try:
            await handler(self, content)
        except ApplicationError as error:
            await self.send_error(error.code, error.message)
        except (TypeError, ValueError, KeyError):
            await self.send_error(LiveErrorCode.BAD_FRAME, _("That frame is missing a field or has a wrong value."))

    async def send_error(self, code: str, message: str) -> None:
        await self.send(text_data=encode(error_frame(code, message)))

    def _signed_in(self) -> bool:
        if self.user is None or not self.user.is_authenticated:
            raise ApplicationError(_("Sign in first."), status=403, code=LiveErrorCode.SIGN_IN)
        return True

    @property
    def room(self) -> Room:
        return self.hub.room

    # -- frames from the viewer --

    async def on_ping(self, content):
        await self.send(text_data=encode(frame("pong", t=content.get("t"))))

    async def on_chat(self, content):
        self._signed_in()
        text = content.get("text")
        if not isinstance(text, str):
            raise ValueError
        allowed = await rate_allow(
            f"chat:{self.user.pk}", per_second=settings.LIVE_CHAT_RATE_PER_SECOND, burst=settings.LIVE_CHAT_BURST
        )
        if not allowed:
            raise ApplicationError(
                _("You are sending messages too fast; wait a moment."), status=429, code=LiveErrorCode.RATE_LIMITED
            )
        message = await database_sync_to_async(live.chat_message_post)(room=self.room, user=self.user, text=text)
        self.hub.publish(chat_frame(message, name=self.user.public_name))

    async def on_heart(self, content):
        count = int(content.get("count", 1))
        if not 1 <= count <= 50:
            raise ValueError
        second, used = self.hearts_window
        now = int(time.monotonic())
        if now != second:
            second, used = now, 0
            self.hearts_window = (second, used)
            if self.user is not None and self.user.is_authenticated:  # a ban: asked once a second
                try:
                    await database_sync_to_async(live.room_heart_allowed)(user=self.user)
                    self.hearts_refused = None
                except ApplicationError as error:
                    self.hearts_refused = error
        if self.hearts_refused is not None:
            raise self.hearts_refused
        count = min(count, settings.LIVE_HEARTS_PER_SECOND - used)
        self.hearts_window = (second, used + max(count, 0))
        if count > 0:
            self.hub.add_hearts(count)

    async def on_vote(self, content):
        self._signed_in()
        value = content.get("value")
        product_id = int(content.get("product") or 0)
        row = await database_sync_to_async(live.room_vote)(
            room=self.room, product_id=product_id, user=self.user, value=value
        )
        await self.send(text_data=encode(frame("voted", product=product_id, value=value)))
        self.hub.publish(tally_frame(row))

    async def on_pin(self, content):
        self._signed_in()
        deal = content.get("deal") or None
        if deal is not None and not isinstance(deal, dict):
            raise ValueError
        await database_sync_to_async(live.room_pin)(
            room=self.room,
            product_id=int(content["product"]),
            by=self.user,
            deal_price=deal.get("price") if deal else None,
            deal_quantity=int(deal["quantity"]) if deal and deal.get("quantity") else None,
            deal_minutes=int(deal.get("minutes") or 5) if deal else None,
            per_buyer_limit=int(deal["per_buyer_limit"]) if deal and deal.get("per_buyer_limit") else None,
        )

    async def on_unpin(self, content):
        self._signed_in()
        await database_sync_to_async(live.room_unpin)(room=self.room, by=self.user)

    async def on_grab(self, content):
        self._signed_in()
        claim = await database_sync_to_async(live.room_deal_grab)(room=self.room, user=self.user)
        await self.send(text_data=encode(frame("grabbed", **claim)))

    HANDLERS = {
        "ping": on_ping,
        "chat": on_chat,
        "heart": on_heart,
        "vote": on_vote,
        "pin": on_pin,
        "unpin": on_unpin,
        "grab": on_grab,
    }
