"""The realtime seam: frames, broadcasting after commit, WebSocket auth, async counters, and the
per-process coalescing hub that fans a group's events out to its local sockets.

**Frames** are JSON objects with a ``type`` (``{"type": "chat", ...}``); :func:`encode` turns one
into text once, however many sockets get it. Protocols built on this (docs/live-protocol.md)
send broadcasts as ``{"type": "batch", "events": [frame, ...]}``.

**Broadcasting** (:func:`broadcast_on_commit`, :func:`abroadcast`): services announce events to a
*group* (e.g. ``live.room.12``) after their transaction commits. An event travels over the
channel layer (pub/sub on Redis, in-memory under ``make run``) to ONE subscriber per ASGI process:
that process's :class:`GroupHub` for the group, which holds the process's sockets in the group.
Nothing else calls ``group_send``.

**Coalescing** (:class:`GroupHub`): the measured pitfall is that one ASGI process delivers only
~4–6k frames/s, so a group with a thousand sockets cannot get a frame per chat message or per
heart. Each process keeps one hub per group with local sockets. The hub

* collects events (from its sockets, from other processes, from services) in a pending batch;
  events with a *coalesce key* (a counter, a tally) replace the earlier value in the batch;
* sends the batch to every local socket as ONE frame, encoded once, at most every
  ``REALTIME_FRAME_SECONDS`` (leading edge: an event in a quiet group goes out at once);
* forwards the events its own sockets produced to the group, at most every
  ``REALTIME_PUBLISH_SECONDS``, as one ``group_send`` carrying the list (other processes' hubs
  merge them into their next frame; a hub ignores its own forwards).

There is no ticker that one process must own: every process's hub does the same for its own
sockets, so viewers spread over several ASGI processes, and ``make run`` (one process, in-memory
layer, ``--lifespan off``: hubs start on the first socket, not at startup) works the same way.

**Auth** (:func:`websocket_application`): the browser's session cookie (Channels'
``AuthMiddlewareStack``) or, for the mobile app, ``Authorization: Token <key>`` (DRF tokens) on
the handshake. A handshake whose ``Origin`` is not an allowed host is refused (cross-site
WebSocket hijacking); one without ``Origin`` is a non-browser client and is let through.

**Counters** (:func:`rate_allow`, :func:`counter_add`, :func:`presence_join`, ...) are async
Redis calls when ``REDIS_URL`` is set and in-process dictionaries otherwise (one process, ``make
run``). While Redis is unreachable they fall back to the in-process versions for
``outage_retry`` seconds (fail open, short timeout), so sockets keep working.
"""

import asyncio
import json
import logging
import math
import time
import weakref
from collections.abc import Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.security.websocket import AllowedHostsOriginValidator
from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)

# --- frames ---------------------------------------------------------------------------------------


def frame(type_: str, **fields: Any) -> dict:
    """A frame: ``{"type": type_, **fields}``."""
    return {"type": type_, **fields}


def encode(value: dict | list) -> str:
    """JSON text of a frame (compact; non-ASCII kept as is)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def error_frame(code: str, message: str, **extra: Any) -> dict:
    """The one error frame: ``{"type": "error", "code": ..., "message": ...}``."""
    return frame("error", code=code, message=str(message), **extra)


# --- broadcasting ---------------------------------------------------------------------------------

#: Channel-layer message type of a hub-to-hub batch.
BATCH = "realtime.batch"


async def abroadcast(group: str, events: list[dict], *, origin: str = "") -> None:
    """Send ``events`` to every process's hub of ``group`` (one ``group_send``). Events are
    normalised to JSON values first (dates become ISO strings), as sockets will see them."""
    layer = get_channel_layer()
    if layer is None or not events:
        return
    events = json.loads(encode(events))
    await layer.group_send(group, {"type": BATCH, "origin": origin, "events": events})


def broadcast(group: str, *events: dict) -> None:
    """Send ``events`` to ``group`` now, from sync code (failures are logged, never raised: the
    write that caused them has committed)."""
    try:
        async_to_sync(abroadcast)(group, list(events))
    except Exception:  # noqa: BLE001 - a dropped push must not fail a committed request
        logger.exception("realtime: broadcast to %s failed", group)


def broadcast_on_commit(group: str, *events: dict) -> None:
    """Send ``events`` to ``group`` once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: broadcast(group, *events))


# --- WebSocket auth -------------------------------------------------------------------------------


@database_sync_to_async
def _token_user(key: str):
    from rest_framework.authtoken.models import Token

    token = Token.objects.select_related("user").filter(key=key).first()
    return token.user if token and token.user.is_active else None


class TokenAuthMiddleware:
    """After the session middleware: when the session did not sign anyone in, an
    ``Authorization: Token <key>`` header on the handshake does (the mobile app has no cookie)."""

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        user = scope.get("user")
        if user is None or not user.is_authenticated:
            header = dict(scope.get("headers", [])).get(b"authorization", b"").decode("latin-1")
            kind, _, key = header.partition(" ")
            if kind.lower() == "token" and key.strip():
                token_user = await _token_user(key.strip())
                if token_user is not None:
                    scope = {**scope, "user": token_user}
        return await self.inner(scope, receive, send)


class OriginCheck:
    """Refuse a handshake whose ``Origin`` is not one of ``ALLOWED_HOSTS``; let one without an
    ``Origin`` through (browsers always send it on WebSockets, so that is a non-browser client,
    which cannot be used for cross-site hijacking)."""

    def __init__(self, inner):
        self.inner = inner
        self.checked = AllowedHostsOriginValidator(inner)

    async def __call__(self, scope, receive, send):
        if any(name == b"origin" for name, _ in scope.get("headers", [])):
            return await self.checked(scope, receive, send)
        return await self.inner(scope, receive, send)


def websocket_application(inner):
    """Wrap a WebSocket router: origin check, session auth, token auth."""
    return OriginCheck(AuthMiddlewareStack(TokenAuthMiddleware(inner)))


# --- counters: Redis when configured, else (or while it is unreachable) in-process --------------


class _Local:
    """The single-process fallback of the counters."""

    def __init__(self):
        self.counters: dict[str, tuple[float, float]] = {}  # key -> (value, expires_at)
        self.buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)
        self.present: dict[str, dict[str, float]] = {}  # key -> member -> expires_at

    def _sweep(self, now: float) -> None:
        if len(self.counters) > 10_000:
            self.counters = {k: v for k, v in self.counters.items() if v[1] > now}
        if len(self.buckets) > 10_000:
            self.buckets = {k: v for k, v in self.buckets.items() if v[1] > now - 60}

    def counter_add(self, key: str, delta: float, ttl: float | None) -> float:
        now = time.monotonic()
        self._sweep(now)
        value, expires = self.counters.get(key, (0, math.inf))
        if expires <= now:
            value = 0
        value += delta
        self.counters[key] = (value, now + ttl if ttl else math.inf)
        return value

    def counter_get(self, key: str) -> float | None:
        value, expires = self.counters.get(key, (None, math.inf))
        return value if expires > time.monotonic() else None

    def counter_delete(self, key: str) -> None:
        self.counters.pop(key, None)

    def rate_allow(self, key: str, per_second: float, burst: int) -> bool:
        now = time.monotonic()
        self._sweep(now)
        tokens, at = self.buckets.get(key, (float(burst), now))
        tokens = min(float(burst), tokens + (now - at) * per_second)
        allowed = tokens >= 1
        self.buckets[key] = (tokens - 1 if allowed else tokens, now)
        return allowed

    def presence(self, key: str, *, add: Iterable[str] = (), remove: Iterable[str] = (), ttl: float = 30) -> int:
        now = time.time()
        members = self.present.setdefault(key, {})
        for member in add:
            members[member] = now + ttl
        for member in remove:
            members.pop(member, None)
        for member in [m for m, exp in members.items() if exp <= now]:
            del members[member]
        if not members:
            self.present.pop(key, None)
        return len(members)

    def presence_members(self, key: str) -> list[str]:
        now = time.time()
        return [m for m, exp in self.present.get(key, {}).items() if exp > now]


_local = _Local()

# Token bucket on Redis (GCRA-like, one round trip): KEYS[1] bucket; ARGV rate, burst, now.
_RATE_SCRIPT = """
local rate, burst, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 't', 'at')
local tokens, at = tonumber(state[1]), tonumber(state[2])
if tokens == nil then tokens = burst; at = now end
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local allowed = 0
if tokens >= 1 then tokens = tokens - 1; allowed = 1 end
redis.call('HSET', KEYS[1], 't', tokens, 'at', now)
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 1)
return allowed
"""
# Presence: KEYS[1] sorted set member -> expiry; ARGV now, ttl, then "+member" / "-member".
_PRESENCE_SCRIPT = """
local now, ttl = tonumber(ARGV[1]), tonumber(ARGV[2])
for i = 3, #ARGV do
  local op, member = string.sub(ARGV[i], 1, 1), string.sub(ARGV[i], 2)
  if op == '+' then redis.call('ZADD', KEYS[1], now + ttl, member) else redis.call('ZREM', KEYS[1], member) end
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local n = redis.call('ZCARD', KEYS[1])
if n > 0 then redis.call('EXPIRE', KEYS[1], math.ceil(ttl) + 1) end
return n
"""


class _Redis:
    """One async redis-py client per event loop (pools are bound to their loop), with a short
    timeout and a back-off after a failure during which callers use the in-process fallback."""

    retry_seconds = 5.0

    def __init__(self):
        self.clients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self.down_until = 0.0

    def client(self):
        if not settings.REDIS_URL or time.monotonic() < self.down_until:
            return None
        loop = asyncio.get_running_loop()
        client = self.clients.get(loop)
        if client is None:
            from redis import asyncio as aioredis

            timeout = getattr(settings, "REDIS_TIMEOUT", 0.5)
            # A bounded pool: bursts wait for a connection instead of opening hundreds (measured:
            # "Too many connections" with an unbounded pool when a thousand sockets joined at once).
            pool = aioredis.BlockingConnectionPool.from_url(
                settings.REDIS_URL,
                max_connections=settings.REALTIME_REDIS_CONNECTIONS,
                timeout=2,
                socket_timeout=timeout,
                socket_connect_timeout=timeout,
                decode_responses=True,
            )
            client = aioredis.Redis(connection_pool=pool)
            self.clients[loop] = client
        return client

    def failed(self, exc: Exception) -> None:
        if time.monotonic() >= self.down_until:
            logger.warning("realtime: Redis unreachable (%s); using in-process counters for a while", exc)
        self.down_until = time.monotonic() + self.retry_seconds


_redis = _Redis()


def _key(name: str) -> str:
    return f"{getattr(settings, 'CHANNEL_PREFIX', 'jishi')}:rt:{name}"


async def _call(remote, local):
    """Run ``remote(client)`` on Redis, or ``local()`` without Redis / while it is unreachable."""
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    client = _redis.client()
    if client is None:
        return local()
    try:
        return await remote(client)
    except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
        _redis.failed(exc)
        return local()


async def rate_allow(key: str, *, per_second: float, burst: int) -> bool:
    """Token bucket: True if one more action under ``key`` is allowed now (``burst`` at once,
    refilling at ``per_second``)."""
    now = time.time()
    return bool(
        await _call(
            lambda r: r.eval(_RATE_SCRIPT, 1, _key(f"rate:{key}"), per_second, burst, now),
            lambda: _local.rate_allow(key, per_second, burst),
        )
    )


async def counter_add(key: str, delta: int, *, ttl: int | None = None) -> int:
    """Add ``delta`` to a shared counter and return its new value."""

    async def remote(r):
        pipe = r.pipeline(transaction=False)
        pipe.incrby(_key(f"n:{key}"), delta)
        if ttl:
            pipe.expire(_key(f"n:{key}"), ttl)
        return (await pipe.execute())[0]

    return int(await _call(remote, lambda: _local.counter_add(key, delta, ttl)))


async def counter_get(key: str) -> int | None:
    """The counter's value, or None if it does not exist."""

    async def remote(r):
        value = await r.get(_key(f"n:{key}"))
        return None if value is None else int(value)

    return await _call(remote, lambda: _local.counter_get(key))


async def counter_seed(key: str, value: int) -> int:
    """Set the counter to ``value`` unless it exists; its value afterwards."""

    async def remote(r):
        await r.set(_key(f"n:{key}"), value, nx=True)
        return int(await r.get(_key(f"n:{key}")) or value)

    def local():
        if _local.counter_get(key) is None:
            _local.counter_add(key, value, None)
        return int(_local.counter_get(key))

    return await _call(remote, local)


async def counter_delete(key: str) -> None:
    await _call(lambda r: r.delete(_key(f"n:{key}")), lambda: _local.counter_delete(key))


async def presence_update(key: str, *, add: Iterable[str] = (), remove: Iterable[str] = (), ttl: float) -> int:
    """Heartbeat ``add`` members (each expires ``ttl`` seconds from now unless beaten again),
    drop ``remove`` members, forget expired ones, and return how many are present. Shared by
    every process (a sorted set on Redis), so a process that dies without saying goodbye drops
    out after ``ttl``."""
    add, remove = list(add), list(remove)
    args = [f"+{m}" for m in add] + [f"-{m}" for m in remove]
    return int(
        await _call(
            lambda r: r.eval(_PRESENCE_SCRIPT, 1, _key(f"p:{key}"), time.time(), ttl, *args),
            lambda: _local.presence(key, add=add, remove=remove, ttl=ttl),
        )
    )


async def presence_members(key: str) -> list[str]:
    """Members present now."""

    async def remote(r):
        return list(await r.zrangebyscore(_key(f"p:{key}"), time.time(), "+inf"))

    return await _call(remote, lambda: _local.presence_members(key))


async def redis_keys(pattern: str = "*") -> list[str]:
    """Our realtime keys in Redis matching ``pattern`` (benchmarks and tests check for leaks)."""
    client = _redis.client()
    if client is None:
        return []
    return [key async for key in client.scan_iter(match=_key(pattern), count=1000)]


# --- the coalescing hub ---------------------------------------------------------------------------


class HubSocket:
    """What a hub needs from a socket (a consumer implements it)."""

    async def hub_send(self, text: str) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class GroupHub:
    """This process's member of one group: its local sockets, the pending batch, and the loops
    that deliver and forward it (see the module docstring). Get one with :meth:`join`.

    Subclasses set the coalescing rules (:meth:`coalesce_key`, :meth:`combine`) and may run
    periodic work in :meth:`beat` (every ``beat_seconds``) and :meth:`before_publish`.
    """

    #: Seconds an empty hub waits before unsubscribing (a reconnecting socket finds it still there).
    linger_seconds = 2.0
    #: Seconds each step of :meth:`close` may take.
    close_timeout = 5.0
    beat_seconds = 5.0

    _hubs: dict[tuple[int, str], "GroupHub"] = {}

    def __init__(self, group: str):
        self.group = group
        self.sockets: set = set()
        self.channel = ""
        self.pending: list[dict] = []
        self.pending_keys: dict[str, int] = {}
        self.outbox: list[dict] = []
        self.frame_seconds = settings.REALTIME_FRAME_SECONDS
        self.publish_seconds = settings.REALTIME_PUBLISH_SECONDS
        self._flush_wanted = asyncio.Event()
        self._publish_wanted = asyncio.Event()
        self._ready = asyncio.get_running_loop().create_future()
        self._tasks: list[asyncio.Task] = []
        self._linger: asyncio.Task | None = None
        self.frames_sent = 0

    # -- lifecycle --

    @classmethod
    async def join(cls, group: str, socket) -> "GroupHub":
        """Add ``socket`` to this process's hub of ``group`` (starting the hub if needed)."""
        key = (id(asyncio.get_running_loop()), group)
        hub = GroupHub._hubs.get(key)
        if hub is None:
            hub = GroupHub._hubs[key] = cls(group)
            hub.sockets.add(socket)
            try:
                await hub._start()
            except BaseException as exc:
                GroupHub._hubs.pop(key, None)
                hub._ready.set_exception(exc)
                hub._ready.exception()  # mark retrieved
                raise
            hub._ready.set_result(True)
        else:
            hub.sockets.add(socket)
            await hub._ready
        if hub._linger is not None:
            hub._linger.cancel()
            hub._linger = None
        return hub

    async def leave(self, socket) -> None:
        self.sockets.discard(socket)
        if not self.sockets and self._linger is None:
            self._linger = asyncio.ensure_future(self._close_later())

    @classmethod
    def local_hubs(cls) -> list["GroupHub"]:
        """This event loop's hubs (of every subclass)."""
        loop_id = id(asyncio.get_running_loop())
        return [hub for (lid, _), hub in GroupHub._hubs.items() if lid == loop_id]

    @classmethod
    async def close_all(cls) -> None:
        """Close this event loop's hubs now (tests; a server's hubs end with their sockets)."""
        for hub in cls.local_hubs():
            GroupHub._hubs.pop((id(asyncio.get_running_loop()), hub.group), None)
            if hub._linger is not None:
                hub._linger.cancel()
            await hub.close()

    async def _start(self) -> None:
        layer = get_channel_layer()
        self.channel = await layer.new_channel(prefix="hub.")
        await layer.group_add(self.group, self.channel)
        self._tasks = [
            asyncio.ensure_future(self._receive_loop(layer)),
            asyncio.ensure_future(self._flush_loop()),
            asyncio.ensure_future(self._publish_loop()),
            asyncio.ensure_future(self._beat_loop()),
        ]
        await self.started()

    async def _close_later(self) -> None:
        await asyncio.sleep(self.linger_seconds)
        if self.sockets:
            return
        key = (id(asyncio.get_running_loop()), self.group)
        if GroupHub._hubs.get(key) is self:
            del GroupHub._hubs[key]
        await self.close()

    async def close(self) -> None:
        """Forward what is left, leave the group, stop the loops (also used by tests). Every
        step is bounded by ``close_timeout`` seconds: a step that hangs (a Redis call that never
        answers, a loop that does not finish cancelling) is logged and skipped, so a closing hub
        never waits forever (nor does a test that closes it)."""
        await self._bounded("forwarding the last events", self._publish_now())
        await self._bounded("the stopping hook", self.stopping())
        layer = get_channel_layer()
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            _, stuck = await asyncio.wait(self._tasks, timeout=self.close_timeout)
            if stuck:
                logger.error("realtime: hub %s: %d loop(s) still stopping after %ss", self.group, len(stuck),
                             self.close_timeout)  # fmt: skip
        self._tasks = []
        await self._bounded("leaving the group", layer.group_discard(self.group, self.channel))

    async def _bounded(self, what: str, awaitable) -> None:
        # asyncio.wait, not wait_for: wait_for waits for a timed-out step to finish cancelling,
        # which a step stuck in its own clean-up never does.
        task = asyncio.ensure_future(awaitable)
        done, _ = await asyncio.wait([task], timeout=self.close_timeout)
        if not done:
            task.cancel()
            logger.error("realtime: hub %s: %s took over %ss; skipped", self.group, what, self.close_timeout)
        elif not task.cancelled() and task.exception() is not None:
            logger.error("realtime: hub %s: %s failed", self.group, what, exc_info=task.exception())

    # -- hooks --

    async def started(self) -> None:
        """Called once the hub is subscribed."""

    async def stopping(self) -> None:
        """Called before the hub unsubscribes (persist what is left)."""

    async def beat(self) -> None:
        """Periodic work, every ``beat_seconds``."""

    async def before_publish(self) -> list[dict]:
        """Events to add to the next forward (e.g. an aggregated counter)."""
        return []

    def coalesce_key(self, event: dict) -> str | None:
        """Events with the same key replace each other in a pending batch (None: keep all)."""
        return None

    def combine(self, old: dict, new: dict) -> dict:
        """The event to keep when ``new`` replaces ``old`` under one coalesce key."""
        return new

    def received(self, events: list[dict]) -> None:
        """Called with events that arrived from the group (other processes or services)."""

    # -- events in --

    def show(self, event: dict) -> None:
        """Deliver ``event`` to this process's sockets only (with the next frame)."""
        key = self.coalesce_key(event)
        if key is not None and key in self.pending_keys:
            index = self.pending_keys[key]
            self.pending[index] = self.combine(self.pending[index], event)
        else:
            if key is not None:
                self.pending_keys[key] = len(self.pending)
            self.pending.append(event)
        self._flush_wanted.set()

    def publish(self, event: dict) -> None:
        """Deliver ``event`` to the sockets of every process (here with the next frame, elsewhere
        with the next forward)."""
        self.show(event)
        self.outbox.append(event)
        self._publish_wanted.set()

    def nudge_publish(self) -> None:
        """Ask for a forward soon (:meth:`before_publish` has something to add)."""
        self._publish_wanted.set()

    # -- loops --

    async def _receive_loop(self, layer) -> None:
        while True:
            message = await layer.receive(self.channel)
            if message.get("type") != BATCH or message.get("origin") == self.channel:
                continue
            events = message.get("events") or []
            self.received(events)
            for event in events:
                self.show(event)

    async def _flush_loop(self) -> None:
        while True:
            await self._flush_wanted.wait()
            self._flush_wanted.clear()
            if self.pending:
                text = encode({"type": "batch", "events": self.pending})
                self.pending, self.pending_keys = [], {}
                for socket in list(self.sockets):
                    try:
                        await socket.hub_send(text)
                    except Exception:  # noqa: BLE001 - a closing socket must not stop the others
                        logger.debug("realtime: send to a socket failed", exc_info=True)
                self.frames_sent += len(self.sockets)
            await asyncio.sleep(self.frame_seconds)

    async def _publish_now(self) -> None:
        try:
            extra = await self.before_publish()
        except Exception:  # noqa: BLE001
            logger.exception("realtime: hub %s before_publish failed", self.group)
            extra = []
        for event in extra:
            self.show(event)
        events, self.outbox = [*self.outbox, *extra], []
        if events:
            try:
                await abroadcast(self.group, events, origin=self.channel)
            except Exception:  # noqa: BLE001 - keep serving local sockets while the layer is down
                logger.exception("realtime: forwarding %d events to %s failed", len(events), self.group)

    async def _publish_loop(self) -> None:
        while True:
            await self._publish_wanted.wait()
            self._publish_wanted.clear()
            await self._publish_now()
            await asyncio.sleep(self.publish_seconds)

    async def _beat_loop(self) -> None:
        while True:
            try:
                await self.beat()
            except Exception:  # noqa: BLE001
                logger.exception("realtime: hub %s beat failed", self.group)
            await asyncio.sleep(self.beat_seconds)
