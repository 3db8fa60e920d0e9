"""Helpers for room sockets: connect as anyone (session cookie, token or anonymous) and read the
room's frames (``batch`` frames are unpacked into their events)."""

import asyncio
import time

from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.test import Client

from config.asgi import application
from core.realtime import GroupHub


def session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


class Viewer:
    """One socket in a room, with the events it has seen."""

    def __init__(self, comm: WebsocketCommunicator):
        self.comm = comm
        self.events: list[dict] = []
        self.frames: list[dict] = []
        self.hello: dict | None = None

    async def send(self, **frame):
        await self.comm.send_json_to(frame)

    async def send_text(self, text: str):
        await self.comm.send_to(text_data=text)

    async def pump(self, timeout: float = 0.05) -> None:
        """Read every frame available within ``timeout`` (``receive_nothing`` never cancels the
        application, unlike a ``receive_from`` that times out)."""
        while not await self.comm.receive_nothing(timeout=timeout):
            frame = await self.comm.receive_json_from(timeout=1)
            self.frames.append(frame)
            if frame["type"] == "batch":
                self.events.extend(frame["events"])
            else:
                self.events.append(frame)

    async def wait_for(self, predicate, *, timeout: float = 5.0) -> dict:
        """The first event (seen before or arriving within ``timeout``) matching ``predicate``."""
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events:
                if predicate(event):
                    return event
            if time.monotonic() > deadline:
                raise AssertionError(f"no matching event within {timeout}s; saw {self.events[-10:]}")
            await self.pump(0.1)

    async def close(self):
        await self.comm.disconnect()


async def join(room, *, user=None, token: str | None = None, origin: bytes | None = b"http://testserver"):
    """Connect to ``room``'s socket; returns a :class:`Viewer` (after its hello) or None if refused."""
    headers = [(b"host", b"testserver")]
    if origin is not None:
        headers.append((b"origin", origin))
    if user is not None:
        from channels.db import database_sync_to_async

        headers.append((b"cookie", await database_sync_to_async(session_cookie)(user)))
    if token is not None:
        headers.append((b"authorization", f"Token {token}".encode()))
    comm = WebsocketCommunicator(application, f"/ws/live/{room.pk}/", headers=headers)
    connected, _ = await comm.connect(timeout=5)
    if not connected:
        return None
    viewer = Viewer(comm)
    viewer.hello = await comm.receive_json_from(timeout=5)
    return viewer


async def leave_all(*viewers):
    for viewer in viewers:
        if viewer is not None:
            await viewer.close()
    await GroupHub.close_all()


#: Seconds a whole socket scenario may take. Every await in a scenario is bounded by this: a hang
#: fails the test with the stack of where it hung, and the event loop thread that
#: ``async_to_sync`` runs the scenario on ends (a loop thread stuck forever would keep pytest
#: from exiting after the test failed).
SCENARIO_TIMEOUT = 60


def _await_chain(coro) -> list[str]:
    """Where a suspended coroutine waits: each frame down its chain of awaits."""
    lines = []
    while coro is not None:
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
        if frame is not None:
            lines.append(f"  {frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}")
        coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
    return lines


def run(coro_fn, *args, timeout: float = SCENARIO_TIMEOUT):
    """Run the async ``coro_fn(*args)`` from a sync test, failing it after ``timeout`` seconds."""

    async def bounded():
        task = asyncio.ensure_future(coro_fn(*args))
        # asyncio.wait, not wait_for: wait_for waits for a cancelled task to finish cancelling.
        done, _ = await asyncio.wait([task], timeout=timeout)
        if done:
            return task.result()
        where = "\n".join(_await_chain(task.get_coro()))
        task.cancel()
        await asyncio.wait([task], timeout=5)
        await asyncio.wait([asyncio.ensure_future(GroupHub.close_all())], timeout=20)
        raise AssertionError(f"the socket scenario did not finish within {timeout}s; it was at:\n{where}")

    return async_to_sync(bounded)()
