"""Two ASGI processes sharing Redis: a viewer on one sees chat, pins, live deals and votes sent
through the other, broadcasts from a third process (this one: a moderator's removal), and the
viewer count counts the sockets of both."""

import asyncio
import json
import time

import pytest
import websockets
from channels.db import database_sync_to_async
from rest_framework.authtoken.models import Token

from core.visibility import Visibility
from livestream.models import ChatMessage
from livestream.services import live
from tests.community.factories import UserFactory
from tests.livestream.factories import live_room_with_shelf
from tests.livestream.servers import asgi_servers
from tests.livestream.sockets import run

pytestmark = pytest.mark.django_db(transaction=True)


class Socket:
    def __init__(self, ws):
        self.ws, self.events = ws, []

    @classmethod
    async def open(cls, base: str, room_id: int, token: str | None = None) -> "Socket":
        headers = {"Authorization": f"Token {token}"} if token else {}
        ws = await websockets.connect(f"{base.replace('http', 'ws')}/ws/live/{room_id}/", additional_headers=headers)
        socket = cls(ws)
        socket.hello = json.loads(await ws.recv())
        return socket

    async def send(self, **frame):
        await self.ws.send(json.dumps(frame))

    async def wait_for(self, predicate, timeout: float = 10.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events:
                if predicate(event):
                    return event
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no matching event; saw {self.events[-8:]}")
            try:
                frame = json.loads(await asyncio.wait_for(self.ws.recv(), timeout=left))
            except TimeoutError:
                continue
            self.events.extend(frame["events"] if frame["type"] == "batch" else [frame])


def test_a_viewer_on_one_process_sees_what_happens_on_the_other(redis_url):
    room, (product, _) = live_room_with_shelf()
    chatter, moderator = UserFactory(display_name="Chatter"), UserFactory(is_staff=True)
    host_token = Token.objects.create(user=room.host).key
    chatter_token = Token.objects.create(user=chatter).key

    async def scenario(first: str, second: str):
        watcher = await Socket.open(first, room.pk)  # process 1, anonymous
        host = await Socket.open(second, room.pk, host_token)  # process 2
        talker = await Socket.open(second, room.pk, chatter_token)  # process 2
        counted = await watcher.wait_for(lambda e: e["type"] == "viewers" and e["now"] == 3)

        await talker.send(type="chat", text="hello from process 2")
        chat = await watcher.wait_for(lambda e: e["type"] == "chat")
        await host.send(type="pin", product=product.pk, deal={"price": "49.00", "quantity": 10, "minutes": 3})
        pin = await watcher.wait_for(lambda e: e["type"] == "pin" and e["pin"])
        await talker.send(type="vote", product=product.pk, value="yea")
        tally = await watcher.wait_for(lambda e: e["type"] == "tally" and e["yea"] == 1)
        for _ in range(5):
            await talker.send(type="heart")
        hearts = await watcher.wait_for(lambda e: e["type"] == "hearts" and e["total"] == 5)

        message = await database_sync_to_async(ChatMessage.objects.get)(pk=chat["id"])
        await database_sync_to_async(live.chat_message_set_visibility)(
            obj=message, status=Visibility.HIDDEN, by=moderator, reason="test"
        )
        removed = [await s.wait_for(lambda e: e["type"] == "chat.removed") for s in (watcher, talker)]

        await talker.ws.close()
        await host.ws.close()
        watcher.events.clear()
        alone = await watcher.wait_for(lambda e: e["type"] == "viewers" and e["now"] == 1)
        await watcher.ws.close()
        return counted, chat, pin, tally, hearts, removed, alone

    with asgi_servers(2, LIVE_PRESENCE_SECONDS="0.5") as (first, second):
        counted, chat, pin, tally, hearts, removed, alone = run(scenario, first, second)

    assert counted["now"] == 3
    assert chat["text"] == "hello from process 2" and chat["name"] == "Chatter"
    assert pin["pin"]["product"]["id"] == product.pk and pin["pin"]["deal"]["price"] == "49.00"
    assert (tally["yea"], tally["nay"]) == (1, 0)
    assert hearts["total"] == 5
    assert [e["id"] for e in removed] == [chat["id"], chat["id"]]
    assert alone["peak"] >= 3
