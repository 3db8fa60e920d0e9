"""The cache: a Redis backend that fails open, and versioned entries (tags with tokens).

**The backend** (:class:`RedisCache`, ``CACHES["default"]["BACKEND"]`` when ``REDIS_URL`` is
set) is Django's ``RedisCache`` with two changes that matter on the request path:

* One redis-py client per thread serves every call, on one connection it keeps
  (``single_connection_client``; a new one after a fork). Django's backend builds a new
  ``redis.Redis`` object for every call, which costs more than the round trip itself (~0.1 ms on
  the 2-core machine) — too much for the hottest path of the site (a cached product page, one
  ``MGET``); and redis-py 8's connection pool costs another ~0.1 ms per command to check a
  connection out and back in (an ``MGET`` of 9 keys: 270 µs through the pool, 160 µs on a kept
  connection, medians on the loaded machine). Same keys and same serializer as Django's backend,
  so the two can share a database.
* The hottest calls (``get``, ``get_many``, the counters of ``incr_expiring`` and
  ``get_many_counting``, the Lua scripts of :class:`CacheScript`, the tags and marks of
  :meth:`Marks.ahead`) go on the wire
  themselves (:meth:`RedisCache._send`): the command packed by :func:`_pack`, sent and read on
  the kept connection, the values unpickled without a failed ``int()`` first. redis-py's
  ``mget`` (its packer, retry wrapper, command hooks and observability) cost ~75 µs of CPU for
  a page's ``MGET`` of 8 keys, the same bytes sent this way ~35 µs; Django's serializer tries
  ``int()`` on every pickle and catches the ``ValueError`` (~2 µs a value). A connection that
  fails is closed and the call fails open, as with redis-py (whose pool connections retry
  nothing).
* It fails open. When Redis cannot be reached within ``socket_connect_timeout`` /
  ``socket_timeout`` (``REDIS_TIMEOUT``), every call answers as an empty cache would — ``get``
  the default, ``get_many`` ``{}``, ``add`` False (so once-per-window work such as the product
  view dedupe is skipped, not repeated), writes nothing — and the site keeps serving, uncached and
  unthrottled. For ``outage_retry_seconds`` after a failure no call touches the network; then the
  next call tries again, so service resumes without a restart. A warning is logged at most once
  per ``outage_warn_seconds`` per process, and once when Redis is back. ``/healthz`` asks
  :func:`cache_check`, which does not fail open.

**Versioned entries** (:func:`cached`, :func:`bump`, :func:`bump_on_commit`): an entry is stored
with the *tags* it depends on: each tag is a cache key holding a random version token. A reader
fetches the entry and its tags in ONE cache round trip (``get_many``) and uses the entry only if
every tag still holds the token the entry was built under and the entry's ``expires_at`` (e.g.
the next sale boundary that could change a price in it) has not passed.

Writers never delete entries; they replace tag tokens *after their transaction commits*
(:func:`bump_on_commit`). Because a reader reads the tokens *before* it reads the database, an
entry built from data older than a bump always carries an outdated token and is never served.
A token that was evicted is recreated with a fresh random value, so eviction can only cause a
miss, never a stale hit. Apps name their own tags (e.g. ``marketplace/caching.py``).

**Tags found while building** (``build`` returning ``(value, expires_at, extra)``): some of
what an entry shows is only known once it is built — the anonymous product page's voucher box
depends on the tag of the product's *shop*, which the page's URL does not name. The builder
reads those tags' tokens with :func:`tag_versions` *before* it reads the data they cover, and
returns them as ``extra`` (``{tag: token}``); the entry is stored with them and a reader uses
it only if they still hold those tokens too. A process remembers which extra tags each key had
(:data:`EXTRA_TAGS_REMEMBERED` keys at most) and fetches them in the same ``MGET`` as the entry:
a hit stays one round trip; the first read of a key in a process, or one whose extra tags
changed, costs a second ``MGET``.

**Reading ahead** (:func:`read_ahead`): a request that knows which entries (and plain keys, such
as its session) it is about to read fetches them all in one ``MGET``; the reads that follow in
the same request are answered from what it fetched. A signed-in page shell is two round trips
instead of four (``core/pages.py``). What was read ahead is forgotten by :func:`bump` (a write of
this request must not be answered from before it) and at the start and end of every request.
"""

import hashlib
import logging
import math
import os
import pickle
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import redis
from django.core.cache import cache, caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisSerializer
from django.core.signals import request_finished, request_started
from django.db import transaction
from django.db.models import Max
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

#: Upper bound on any versioned entry's life: a missed invalidation heals within this many seconds.
MAX_TTL = 300

#: What "Redis is unreachable" looks like to redis-py (refused, reset, timed out, DNS, loading).
UNREACHABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


# --- the backend ---------------------------------------------------------------------------------


class Outage:
    """Whether one Redis server is known to be unreachable, shared by a process's threads.

    After a failure, :meth:`skip` is true for ``retry_seconds`` (calls answer at once without
    the network); the first call after that tries Redis again. Races between threads only cost
    an extra try or an extra log line."""

    def __init__(self, name: str, *, retry_seconds: float, warn_seconds: float):
        self.name = name
        self.retry_seconds = retry_seconds
        self.warn_seconds = warn_seconds
        self.down_since: float | None = None
        self.retry_at = 0.0
        self.warned_at = -math.inf

    def skip(self) -> bool:
        return self.down_since is not None and time.monotonic() < self.retry_at

    def failed(self, exc: Exception) -> None:
        now = time.monotonic()
        if self.down_since is None:
            self.down_since = now
        self.retry_at = now + self.retry_seconds
        if now - self.warned_at >= self.warn_seconds:
            self.warned_at = now
            logger.warning(
                "Redis cache at %s is unreachable (%s: %s): serving uncached and unthrottled; retrying every %ss",
                self.name,
                exc.__class__.__name__,
                exc,
                self.retry_seconds,
            )

    def recovered(self) -> None:
        if self.down_since is not None:
            logger.warning("Redis cache at %s is back after %.0f s", self.name, time.monotonic() - self.down_since)
            self.down_since = None
            self.warned_at = -math.inf


def _display_name(url: str) -> str:
    """``host:port/db`` of a Redis URL, for logs (never the password)."""
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or 6379}{parts.path or '/0'}"


_shared_lock = threading.Lock()
_pools: dict[tuple, redis.ConnectionPool] = {}
_outages: dict[tuple, Outage] = {}
#: Each thread's clients, one per server: ``by_server[shared_key] = (pid, redis.Redis)``.
_thread_clients = threading.local()


def _pack(*args: str | bytes | int | float) -> bytes:
    """A command in Redis's protocol (RESP), as redis-py packs ``str`` (UTF-8), ``bytes``,
    ``int`` and ``float`` (its ``repr``) arguments."""
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        if isinstance(arg, str):
            raw = arg.encode()
        elif isinstance(arg, int):
            raw = b"%d" % arg
        elif isinstance(arg, float):
            raw = repr(arg).encode()
        else:
            raw = arg
        parts.append(b"$%d\r\n%s\r\n" % (len(raw), raw))
    return b"".join(parts)


class RedisCache(DjangoRedisCache):
    """Django's ``RedisCache`` on one kept redis-py client per process, failing open when Redis
    is unreachable (see the module docstring).

    ``LOCATION`` is one Redis URL. ``OPTIONS`` are redis-py connection-pool options (e.g.
    ``socket_connect_timeout``, ``socket_timeout``), plus ``serializer`` (as in Django) and
    ``outage_retry_seconds`` (default 5) / ``outage_warn_seconds`` (default 60). Keys are not
    checked for memcached portability (this backend is Redis).
    """

    def __init__(self, server, params):
        super().__init__(server, params)
        options = dict(params.get("OPTIONS") or {})
        serializer = options.pop("serializer", None)
        if isinstance(serializer, str):
            serializer = import_string(serializer)
        self.serializer = serializer() if callable(serializer) else serializer or RedisSerializer()
        retry_seconds = float(options.pop("outage_retry_seconds", 5))
        warn_seconds = float(options.pop("outage_warn_seconds", 60))
        self.location = server if isinstance(server, str) else server[0]
        shared_key = (self.location, repr(sorted(options.items())), retry_seconds, warn_seconds)
        with _shared_lock:
            if shared_key not in _pools:
                _pools[shared_key] = redis.ConnectionPool.from_url(self.location, **options)
                _outages[shared_key] = Outage(
                    _display_name(self.location), retry_seconds=retry_seconds, warn_seconds=warn_seconds
                )
        self._shared_key = shared_key
        self.outage = _outages[shared_key]
        #: Django's serializer pickles everything but ``int`` (a pickle starts with PROTO, 0x80).
        self._pickles = type(self.serializer) is RedisSerializer

    @property
    def client(self) -> redis.Redis:
        """This thread's client on this server, which keeps one connection of the shared pool
        (made at its first command; a process that forked makes its own)."""
        kept = getattr(_thread_clients, "by_server", None)
        if kept is None:
            kept = _thread_clients.by_server = {}
        found = kept.get(self._shared_key)
        if found is None or found[0] != os.getpid():
            client = redis.Redis(connection_pool=_pools[self._shared_key], single_connection_client=True)
            found = kept[self._shared_key] = (os.getpid(), client)
        return found[1]

    def _call(self, fallback, command: Callable[[], Any]):
        """Run ``command`` against Redis, or answer ``fallback`` while Redis is unreachable."""
        if self.outage.skip():
            return fallback
        try:
            self._drop_if_closed()
            result = command()
        except UNREACHABLE as exc:
            self.outage.failed(exc)
            return fallback
        self.outage.recovered()
        return result

    def _drop_if_closed(self) -> None:
        """Drop this thread's kept connection if the server closed it (or something is waiting on
        it) while it was idle, as the pool checks a connection it hands out: one poll of the
        socket, no round trip. The next command connects again."""
        connection = self.client.connection
        if connection is None or not connection.is_connected:
            return
        try:
            stale = connection.can_read()
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError):
            stale = True
        if stale:
            connection.disconnect()

    def _send(self, *commands: tuple) -> list:
        """The replies to ``commands`` (each a tuple of arguments), sent in one round trip on
        this thread's kept connection; a refusal (``ResponseError``) is raised once every reply
        is read, as redis-py's pipeline does. A connection that fails is closed and the error
        raised, as redis-py does with the pool's connections (which retry nothing): the next
        command connects again."""
        connection = self.client.connection
        try:
            connection.send_packed_command([b"".join(_pack(*command) for command in commands)])
            replies, refused = [], None
            for _command in commands:
                try:
                    replies.append(connection.read_response())
                except redis.exceptions.ResponseError as exc:
                    refused = refused or exc
                    replies.append(exc)
        except UNREACHABLE:
            connection.disconnect()
            raise
        if refused is not None:
            raise refused
        return replies

    def _dumps(self, value):
        return self.serializer.dumps(value)

    def _loads(self, raw):
        if self._pickles and raw[:1] == b"\x80":
            return pickle.loads(raw)
        return self.serializer.loads(raw)

    def ping(self) -> bool:
        """Round trip to Redis, raising if it is unreachable (health checks; never fails open)."""
        return self.client.ping()

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        key, timeout = self.make_key(key, version=version), self.get_backend_timeout(timeout)
        raw = self._dumps(value)

        def command():
            if timeout == 0:
                created = bool(self.client.set(key, raw, nx=True))
                if created:
                    self.client.delete(key)
                return created
            return bool(self.client.set(key, raw, ex=timeout, nx=True))

        return self._call(False, command)

    def get(self, key, default=None, version=None):
        key = self.make_key(key, version=version)
        raw = self._call(None, lambda: self._send(("GET", key))[0])
        return default if raw is None else self._loads(raw)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        key, timeout = self.make_key(key, version=version), self.get_backend_timeout(timeout)
        raw = self._dumps(value)
        if timeout == 0:
            self._call(None, lambda: self.client.delete(key))
        else:
            self._call(None, lambda: self.client.set(key, raw, ex=timeout))

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        key, timeout = self.make_key(key, version=version), self.get_backend_timeout(timeout)
        if timeout is None:
            return self._call(False, lambda: bool(self.client.persist(key)))
        return self._call(False, lambda: bool(self.client.expire(key, timeout)))

    def delete(self, key, version=None):
        return self._call(False, lambda: bool(self.client.delete(self.make_key(key, version=version))))

    def get_many(self, keys, version=None):
        keys = list(keys)
        if not keys:
            return {}
        names = [self.make_key(key, version=version) for key in keys]
        raw = self._call(None, lambda: self._send(("MGET", *names))[0])
        if raw is None:
            return {}
        return {key: self._loads(value) for key, value in zip(keys, raw, strict=True) if value is not None}

    def has_key(self, key, version=None):
        return self._call(False, lambda: bool(self.client.exists(self.make_key(key, version=version))))

    def incr(self, key, delta=1, version=None):
        """As Django's (ValueError for a missing key); while Redis is unreachable, ``delta``."""
        key = self.make_key(key, version=version)

        def command():
            if not self.client.exists(key):
                raise ValueError(f"Key '{key}' not found.")
            return self.client.incr(key, delta)

        return self._call(delta, command)

    def incr_expiring(self, key, *, ttl: int) -> int | None:
        """``INCR`` a counter and (re)set its expiry in one round trip; the new count, or None
        while Redis is unreachable. For fixed-window counters (API throttles)."""
        key = self.make_key(key)
        return self._call(None, lambda: self._send(("INCR", key), ("EXPIRE", key, ttl))[0])

    def get_many_counting(self, keys: list[str], counters: list[tuple[str, int]]) -> tuple[dict, list | None]:
        """:meth:`get_many` of ``keys`` and :meth:`incr_expiring` of each ``(key, ttl)`` of
        ``counters``, in one round trip: ``({key: value}, [count, ...])``, or ``({}, None)``
        while Redis is unreachable."""
        names = [self.make_key(key) for key in keys]
        commands = [("MGET", *names)] if names else []
        for key, ttl in counters:
            commands += [("INCR", self.make_key(key)), ("EXPIRE", self.make_key(key), ttl)]

        def command():
            return self._send(*commands) if commands else []

        answer = self._call(None, command)
        if answer is None:
            return {}, None
        raw, counts = (answer[0], answer[1::2]) if names else ([], answer[0::2])
        return {key: self._loads(value) for key, value in zip(keys, raw, strict=True) if value is not None}, counts

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        if not data:
            return []
        timeout = self.get_backend_timeout(timeout)
        safe = {self.make_key(key, version=version): self._dumps(value) for key, value in data.items()}

        def command():
            pipeline = self.client.pipeline()
            pipeline.mset(safe)
            if timeout is not None:
                for key in safe:
                    pipeline.expire(key, timeout)
            pipeline.execute()
            return []

        # Django's contract: the keys that could not be stored (all of them while unreachable).
        return self._call(list(data), command)

    def delete_many(self, keys, version=None):
        keys = [self.make_key(key, version=version) for key in keys]
        if keys:
            self._call(None, lambda: self.client.delete(*keys))

    def clear(self):
        _once_forget()
        return self._call(False, lambda: bool(self.client.flushdb()))


def cache_check() -> str:
    """Health check of the default cache: the backend's name, or an exception if it is down
    (the fail-open backend is pinged directly; others must return what was just written)."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        backend.ping()
        return backend.__class__.__name__
    key = f"healthz:{uuid.uuid4().hex}"
    backend.set(key, "1", 10)
    if backend.get(key) != "1":
        raise RuntimeError("cache did not return the value just written")
    backend.delete(key)
    return backend.__class__.__name__


def counter_incr(key: str, *, ttl: int, delta: int = 1) -> int | None:
    """Increment a counter that expires ``ttl`` seconds after its last increment; the new
    count, or None when the cache is unreachable (callers then let the request through).
    ``delta=-1`` takes back an increment that should not have been counted."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        if delta == 1:
            return backend.incr_expiring(key, ttl=ttl)
        name = backend.make_key(key)
        pipeline = backend.client.pipeline
        return backend._call(
            None, lambda: pipeline(transaction=False).incrby(name, delta).expire(name, ttl).execute()[0]
        )
    backend.add(key, 0, timeout=ttl)
    return backend.incr(key, delta)


#: How many keys :func:`add_once` remembers per process (first in, first out).
ONCE_REMEMBERED = 50_000
#: At most this long a process trusts that a key another process added is still there.
ONCE_OTHERS_SECONDS = 60
_once: dict[str, float] = {}
_once_lock = threading.Lock()


def _once_forget() -> None:
    with _once_lock:
        _once.clear()


def add_once(key: str, *, timeout: int) -> bool:
    """``cache.add(key, 1, timeout)`` — True only for the first call in ``timeout`` seconds, across
    processes — with a per-process memory in front: a key this process saw taken is answered
    False without a round trip (until its timeout if this process added it, else for at most
    :data:`ONCE_OTHERS_SECONDS`). For "once per window" dedupes on hot paths (a product view).
    Only in front of Redis (whose ``clear`` also clears the memory); other caches are asked."""
    if not isinstance(caches["default"], RedisCache):
        return cache.add(key, 1, timeout=timeout)
    now = time.monotonic()
    until = _once.get(key)
    if until is not None and now < until:
        return False
    added = cache.add(key, 1, timeout=timeout)
    with _once_lock:
        _once.pop(key, None)
        _once[key] = now + (timeout if added else min(timeout, ONCE_OTHERS_SECONDS))
        while len(_once) > ONCE_REMEMBERED:
            del _once[next(iter(_once))]
    return added


class CacheScript:
    """A Lua script run atomically on the default cache's Redis, failing open like the backend.

    ``script(keys=[...], args=[...], fallback=...)`` prefixes ``keys`` as the cache does and
    returns the script's answer, or ``fallback`` when the cache is not Redis (local memory in
    ``make run``) or Redis is unreachable. It runs by ``EVALSHA`` on the backend's kept
    connection (:meth:`RedisCache._send`: redis-py's ``Script`` and command layer cost ~0.1 ms
    of CPU more per call), and by ``EVAL`` (which loads it again) when the server has lost it.
    For atomic counters that must check and change in one step (e.g. the flash-deal admission
    gate in ``marketplace/services/admission.py``)."""

    def __init__(self, source: str):
        self.source = source
        self.sha = hashlib.sha1(source.encode()).hexdigest()

    def __call__(self, *, keys: Iterable[str], args: Iterable[Any], fallback: Any) -> Any:
        backend = caches["default"]
        if not isinstance(backend, RedisCache):
            return fallback
        redis_keys = [backend.make_key(key) for key in keys]
        tail = (len(redis_keys), *redis_keys, *args)

        def command():
            try:
                return backend._send(("EVALSHA", self.sha, *tail))[0]
            except redis.exceptions.NoScriptError:
                return backend._send(("EVAL", self.source, *tail))[0]

        return backend._call(fallback, command)


# --- versioned entries ---------------------------------------------------------------------------


def _token() -> str:
    return uuid.uuid4().hex[:16]


def _lookup(key: str, tags: tuple[str, ...]) -> tuple[bool, Any, dict, tuple]:
    """``(valid, value, what was read, the tags' versions)`` of the entry under ``key``."""
    if _lost_tags:
        bump()
    known_extra = _extra_tags.get(key, ())
    found = _get_many([key, *tags, *(tag for tag in known_extra if tag not in tags)])
    versions = tuple(found.get(tag) for tag in tags)
    entry = found.get(key)
    if None not in versions and entry is not None:
        entry_versions, expires_at, value = entry
        extra = None
        if entry_versions and isinstance(entry_versions[-1], dict):
            entry_versions, extra = entry_versions[:-1], entry_versions[-1]
        if entry_versions == versions and (expires_at is None or time.time() < expires_at):
            if not extra or _extra_valid(key, extra, found, known_extra):
                return True, value, found, versions
    return False, None, found, versions


def cached_hit(key: str, *, tags: Iterable[str]) -> tuple[bool, Any]:
    """``(True, value)`` when :func:`cached` would answer ``key`` from the cache now, else
    ``(False, None)``; builds and stores nothing (a caller that can only answer from the cache,
    e.g. before DRF builds its request: ``core.api.EarlyAnswerMixin``)."""
    hit, value, _found, _versions = _lookup(key, tuple(tags))
    return hit, value


def cached(key: str, *, tags: Iterable[str], build: Callable[[], tuple]) -> Any:
    """Return the value cached under ``key`` if still valid, else ``build()`` it and cache it.

    ``build`` returns ``(value, expires_at)`` where ``expires_at`` is a POSIX timestamp after
    which the value may be wrong (e.g. the next sale start/end), or None; a time in the past
    (e.g. 0) means "do not store this one". It may return ``(value, expires_at, extra)`` with
    ``extra`` the ``{tag: token}`` of tags found while building, read with :func:`tag_versions`
    before the data they cover (module docstring). With the cache unreachable, every call builds.
    """
    tags = tuple(tags)
    hit, value, found, versions = _lookup(key, tags)
    if hit:
        return value
    if None in versions:
        versions = _ensure_versions(tags, found)
    value, expires_at, *rest = build()
    extra = rest[0] if rest else None
    ttl = MAX_TTL if expires_at is None else min(MAX_TTL, math.ceil(expires_at - time.time()))
    if ttl > 0 and None not in versions and (not extra or None not in extra.values()):
        # The extra tags ride at the end of the versions, so code that does not know them (a
        # process of the previous release) sees other versions and rebuilds: never a crash.
        cache.set(key, ((*versions, extra) if extra else versions, expires_at, value), timeout=ttl)
        if extra:
            _remember_extra(key, tuple(extra))
    return value


#: Keys whose entries carry extra tags, remembered per process (first in, first out).
EXTRA_TAGS_REMEMBERED = 20_000
_extra_tags: dict[str, tuple[str, ...]] = {}
_extra_lock = threading.Lock()


def _remember_extra(key: str, extra_tags: tuple[str, ...]) -> None:
    with _extra_lock:
        _extra_tags.pop(key, None)
        _extra_tags[key] = extra_tags
        while len(_extra_tags) > EXTRA_TAGS_REMEMBERED:
            del _extra_tags[next(iter(_extra_tags))]


def _extra_valid(key: str, extra: dict, found: dict, known_extra: tuple[str, ...]) -> bool:
    """Whether the entry's extra tags still hold the tokens it was built under (fetching the
    ones this process did not know the key had: one more round trip)."""
    unknown = [tag for tag in extra if tag not in known_extra]
    if unknown:
        found = {**found, **_get_many(unknown)}
        _remember_extra(key, tuple(extra))
    return all(found.get(tag) == token for tag, token in extra.items())


def tag_versions(tags: Iterable[str]) -> dict[str, str | None]:
    """The current tokens of ``tags`` (created for the missing ones): what a builder returns as
    :func:`cached`'s ``extra``, read before the data the tags cover. One round trip on Redis; a
    None token (cache unreachable) keeps the entry from being stored."""
    tags = tuple(dict.fromkeys(tags))
    if not tags:
        return {}
    if isinstance(caches["default"], RedisCache):
        versions = _ensure_versions(tags, {})
    else:
        found = cache.get_many(tags)
        versions = tuple(found.get(tag) for tag in tags)
        if None in versions:
            versions = _ensure_versions(tags, found)
    return dict(zip(tags, versions, strict=True))


#: KEYS: tags; ARGV: a new token for each (serialized). Sets each missing tag to its new token
#: (``SET NX``, no expiry) and answers every tag's token: one round trip.
_ENSURE_TAGS = CacheScript("""
for i, key in ipairs(KEYS) do redis.call('SET', key, ARGV[i], 'NX') end
return redis.call('MGET', unpack(KEYS))
""")


def _ensure_versions(tags: tuple[str, ...], found: dict) -> tuple[str | None, ...]:
    """The tokens of ``tags``, creating the ones not in ``found``."""
    missing = [tag for tag in tags if found.get(tag) is None]
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        raw = _ENSURE_TAGS(keys=missing, args=[backend._dumps(_token()) for _ in missing], fallback=None)
        if raw is not None:
            found = {**found, **{tag: backend._loads(value) for tag, value in zip(missing, raw, strict=True) if value}}
        return tuple(found.get(tag) for tag in tags)
    for tag in missing:
        cache.add(tag, _token(), timeout=None)
    found = {**found, **cache.get_many(missing)}
    return tuple(found.get(tag) for tag in tags)


class ProcessEntries:
    """Versioned entries kept in this process's memory instead of the cache, all depending on
    the same ``tags``: small values that many requests share, where a round trip would cost
    more than keeping them (e.g. each title word's best-selling products,
    ``marketplace.selectors.search``). They are valid as the cache's entries are: while every tag
    still holds the token read *before* the data was (module docstring). The tokens come from
    what the request read ahead (a page reads its own tags with its entry: no round trip), else
    from one round trip, which makes a missing tag as :func:`cached` does. When a token changes
    every entry goes; while the cache is unreachable nothing is kept. At most ``max_entries``
    are kept (first in, first out)."""

    def __init__(self, *, tags: Iterable[str], max_entries: int = 10_000):
        self.tags = tuple(tags)
        self.max_entries = max_entries
        #: ``(the tags' tokens, {key: value})``, replaced as a whole when the tokens change.
        self._kept: tuple[tuple, dict] = ((), {})
        self._lock = threading.Lock()

    def holds(self, key: Any) -> bool:
        """Whether ``key`` is kept under the tokens last seen, without asking the tags (they may
        have changed since: :meth:`get_many` then builds it): e.g. whether a page needs to read
        ahead the cache entry its build would read."""
        return key in self._kept[1]

    def get_many(self, keys: Iterable[Any], build: Callable[[list], dict]) -> dict:
        """``{key: value}`` for ``keys``: the values kept under the tags' current tokens, and
        ``build(missing)`` — ``{key: value}`` for every key given it — for the others, then kept."""
        keys = list(dict.fromkeys(keys))
        found = _get_many(list(self.tags))
        versions = tuple(found.get(tag) for tag in self.tags)
        if None in versions:  # made since the request read them ahead, or not yet: one round trip
            versions = tuple(tag_versions(self.tags).values())
        if None in versions:
            return build(keys) if keys else {}
        kept_versions, entries = self._kept
        if kept_versions != versions:
            entries = {}
            self._kept = (versions, entries)
        answer = {key: entries[key] for key in keys if key in entries}
        missing = [key for key in keys if key not in answer]
        if missing:
            built = build(missing)
            answer.update(built)
            with self._lock:
                entries.update(built)
                while len(entries) > self.max_entries:
                    del entries[next(iter(entries))]
        return answer


#: How many keys :func:`asked_before` remembers per process (then it starts again).
ASKED_REMEMBERED = 50_000
_asked: set[str] = set()


def asked_before(key: str) -> bool:
    """Whether this process was asked for ``key`` before; remembers that it is now. For entries
    most of which are asked once — a search's page, with a query per request, most queries new
    — that are worth storing only when asked again: a value built and not stored is the same
    value, and a key asked twice of this process is stored the second time (with several
    processes, once one of them was asked twice). Not stored, a page costs neither its pickle nor
    the store's round trip, nor the cache's memory. Bounded (:data:`ASKED_REMEMBERED`)."""
    if key in _asked:
        return True
    if len(_asked) >= ASKED_REMEMBERED:
        _asked.clear()
    _asked.add(key)
    return False


#: Tags whose bump could not be stored (cache unreachable), bumped again by this process's next
#: :func:`bump` or :func:`cached` call, so a write made during an outage cannot leave a stale
#: entry behind once the cache is back (at worst until MAX_TTL if this process goes quiet).
_lost_tags: set[str] = set()
_lost_lock = threading.Lock()


#: Stands for the server's clock (epoch ms) inside cached HTML: countdowns (countdown.js) correct
#: a wrong client clock with it, so a cached fragment must not carry the clock of the request that
#: built it. :func:`clock_fill` puts the clock of each response in.
NOW_PLACEHOLDER = "__JISHI_NOW_MS__"


_NOW = NOW_PLACEHOLDER.encode()


def clock_filled(content: bytes) -> bytes:
    """``content`` with :data:`NOW_PLACEHOLDER` replaced by the server's clock now (``content``
    itself when it has none): one pass over the page."""
    parts = content.split(_NOW)
    return content if len(parts) == 1 else str(int(time.time() * 1000)).encode().join(parts)


def clock_fill(response):
    """Replace :data:`NOW_PLACEHOLDER` in ``response``'s HTML with the server's clock now."""
    content = response.content
    filled = clock_filled(content)
    if filled is not content:
        response.content = filled
    return response


def bump(*tags: str, marks: Iterable[tuple["Marks", Any, float | None]] = ()) -> None:
    """Invalidate every entry that depends on any of ``tags`` (call after commit). ``marks``:
    ``(marks, member, since)`` checks asked in the same round trip, as :meth:`Marks.ahead` asks
    them (a domain signal's receivers' marks, ``core.signals.send_now(bump=...)``)."""
    forget_ahead()
    with _lost_lock:
        tags = (*tags, *_lost_tags)
        _lost_tags.clear()
    failed = Marks.ahead(marks, store={tag: _token() for tag in tags})
    if failed:
        with _lost_lock:
            _lost_tags.update(failed)


def bump_on_commit(*tags: str, now: bool = False) -> None:
    """Bump ``tags`` when the current transaction commits (at once outside a transaction).

    With ``now``, also at once: then a later read *inside* the same transaction (the rest of the
    request that made the write) does not get the entry from before it either. A reader in
    another transaction meanwhile may store an entry under the new token from data before the
    commit; the bump at commit drops it. (A rollback only costs a rebuild.)"""
    if now and transaction.get_connection().in_atomic_block:
        bump(*tags)
    transaction.on_commit(lambda: bump(*tags))


# --- reading ahead -------------------------------------------------------------------------------

#: What this request read ahead: cache key -> value, or :data:`_ABSENT` for a key not in the cache.
_ahead: ContextVar[dict | None] = ContextVar("jishi_cache_ahead", default=None)
_ABSENT = object()
_MISS = object()


def read_ahead(
    entries: dict[str, Iterable[str]] | None = None,
    *,
    keys: Iterable[str] = (),
    counters: list[tuple[str, int]] = (),
) -> list[int | None] | None:
    """Fetch in ONE round trip what this request is about to read: the versioned ``entries``
    (``{key: tags}``, as later passed to :func:`cached`, with the extra tags this process knows
    they have) and the plain ``keys`` (read with :func:`ahead_get`). The reads that follow in this
    request are answered from it; a key that is read but was not read ahead costs its own round
    trip as usual. Forgotten by :func:`bump` and at the start and end of every request.
    ``counters`` (``(key, ttl)``): counters to increment in the same round trip, as
    :func:`counter_incr`; their new counts are returned (None for each while the cache is
    unreachable)."""
    wanted: dict[str, None] = dict.fromkeys(keys)
    for key, tags in (entries or {}).items():
        wanted.update(dict.fromkeys((key, *tags, *_extra_tags.get(key, ()))))
    memo = _ahead.get()
    if memo:
        wanted = {key: None for key in wanted if key not in memo}
    counts = None
    backend = caches["default"]
    if counters and isinstance(backend, RedisCache):
        found, counts = backend.get_many_counting(list(wanted), list(counters))
        counts = counts if counts is not None else [None] * len(counters)
    else:
        if counters:
            counts = [counter_incr(key, ttl=ttl) for key, ttl in counters]
        if not wanted:
            return counts
        found = cache.get_many(list(wanted))
    fetched = {key: found.get(key, _ABSENT) for key in wanted}
    _ahead.set({**memo, **fetched} if memo else fetched)
    return counts


def ahead_get(key: str) -> tuple[bool, Any]:
    """``(True, value)`` if this request read ``key`` ahead (value None if it was not in the
    cache), else ``(False, None)``: the caller reads it itself."""
    value = (_ahead.get() or {}).get(key, _MISS)
    if value is _MISS:
        return False, None
    return True, None if value is _ABSENT else value


def forget_ahead(**_kwargs) -> None:
    """Drop what this request read ahead (after a write; at request start and end)."""
    if _ahead.get() is not None:
        _ahead.set(None)


request_started.connect(forget_ahead, dispatch_uid="core.cache.forget_ahead.started")
request_finished.connect(forget_ahead, dispatch_uid="core.cache.forget_ahead.finished")


def _get_many(keys: list[str]) -> dict:
    """``cache.get_many(keys)``, answered from what this request read ahead where it can."""
    memo = _ahead.get()
    if not memo:
        return cache.get_many(keys)
    found, rest = {}, []
    for key in keys:
        value = memo.get(key, _MISS)
        if value is _MISS:
            rest.append(key)
        elif value is not _ABSENT:
            found[key] = value
    if rest:
        found.update(cache.get_many(rest))
    return found


# --- marks: "may there be rows?" answered without a query --------------------------------------

#: KEYS: the marks' set. ARGV: reset ('1': drop the set first), the member, the time from which a
#: mark counts. Answers -1 (no set: rebuild it), 1 (maybe: marked since then, or the set started
#: after it), 0 (nothing).
_MARKS_CHECK = CacheScript("""
if ARGV[1] == '1' then redis.call('DEL', KEYS[1]) end
local started = redis.call('ZSCORE', KEYS[1], '@since')
if not started then return -1 end
if tonumber(started) > tonumber(ARGV[3]) then return 1 end
local marked = redis.call('ZSCORE', KEYS[1], ARGV[2])
if marked and tonumber(marked) >= tonumber(ARGV[3]) then return 1 end
return 0
""")

#: KEYS: the set. ARGV: reset, marks older than this are pruned ('': none), the start of a set
#: being built ('': not a build), then pairs of member and time.
_MARKS_ADD = CacheScript("""
if ARGV[1] == '1' then redis.call('DEL', KEYS[1]) end
local started = redis.call('ZSCORE', KEYS[1], '@since')
if ARGV[2] ~= '' then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[2])
  if started then redis.call('ZADD', KEYS[1], started, '@since') end
end
for i = 4, #ARGV, 2 do redis.call('ZADD', KEYS[1], 'GT', ARGV[i + 1], ARGV[i]) end
if ARGV[3] ~= '' then redis.call('ZADD', KEYS[1], 'NX', ARGV[3], '@since') end
return 1
""")

#: What :meth:`Marks.ahead` asked in this context: ``{(set key, member): (cut, answer)}``.
_marks_ahead: ContextVar[dict | None] = ContextVar("jishi_marks_ahead", default=None)


def marks_forget_ahead() -> None:
    """Forget what :meth:`Marks.ahead` asked (at the end of the signal's receivers)."""
    _marks_ahead.set(None)


#: KEYS: the set. ARGV: the member, and the time before which its mark is dropped.
_MARKS_FORGET = CacheScript("""
local marked = redis.call('ZSCORE', KEYS[1], ARGV[1])
if marked and tonumber(marked) < tonumber(ARGV[2]) then redis.call('ZREM', KEYS[1], ARGV[1]) end
return 1
""")

#: Clock skew allowed between servers, for the times of :class:`Marks`.
MARKS_SLACK_SECONDS = 60
#: A rebuild of more members than this is not stored: the set then starts empty, and is trusted
#: for a time only once its window has passed.
MARKS_REBUILD_MAX = 20_000


class Marks:
    """Which members (buyers, deals, ...) *may* have rows of some kind, kept in Redis, so that a hot
    path can skip a query whose answer is almost always "none" (e.g. "did this buyer click a
    story card in the last 24 h?" after every order). The database stays the truth:
    :meth:`may_exist` answers False only when the marks say no row can exist; True means "ask
    the database".

    One sorted set per name in the default cache: member -> the time of its latest row (epoch
    seconds), and ``@since`` -> from when the set is complete. A writer marks the member *before*
    it writes the row (inside its transaction: a reader that can see the row can see the mark; a
    mark whose row rolled back only costs a query) and again after its commit
    (:meth:`mark_on_commit`), so a rebuild or a :meth:`forget` that read the database before the
    commit cannot lose it. A missing set (first use, flushed) is rebuilt from the database by
    ``rebuild(since)``: ``(member, time)`` pairs for the rows that matter now, or None when there
    are too many (:data:`MARKS_REBUILD_MAX`): then the set starts empty and is trusted only for
    times after it started.

    With ``keep_seconds`` the rows only matter while they are recent (clicks within an
    attribution window): a reader asks "a row since ``since``?", and older marks are pruned.
    Without it (pins), a reader that found no rows of a marked member :meth:`forget` s it (only a
    mark older than the moment before its read, so a row committed meanwhile keeps its mark).

    Without Redis (local memory, or unreachable) every answer is "maybe". A mark that could not be
    stored (Redis unreachable) makes this process drop the set at its next call, so it is rebuilt
    rather than miss the row (the same limit as lost bumps: a process that goes quiet). Rows
    written without the marks (fixtures, raw SQL) are seen after the next rebuild only."""

    def __init__(self, name: str, *, rebuild: Callable[[float | None], Iterable | None], keep_seconds=None):
        self.key = f"marks:{name}"
        self.keep_seconds = keep_seconds
        self.rebuild = rebuild
        self._lost = False

    def _add(self, pairs, *, prune: float | None = None, started: float | None = None) -> None:
        args = ["1" if self._lost else "0", "" if prune is None else repr(prune)]
        args.append("" if started is None else repr(started))
        for member, at in pairs:
            args += [str(member), repr(at)]
        answer = _MARKS_ADD(keys=[self.key], args=args, fallback=None)
        self._lost = answer is None and isinstance(caches["default"], RedisCache)

    def mark(self, *members, at: float | None = None) -> None:
        """Mark ``members`` at ``at`` (default: now; with a window, the time of the row)."""
        at = time.time() if at is None else at
        prune = None if self.keep_seconds is None else at - self.keep_seconds - MARKS_SLACK_SECONDS
        self._add([(member, at) for member in members], prune=prune)

    def mark_on_commit(self, *members, at: float | None = None) -> None:
        """:meth:`mark` now, and again after the current transaction commits."""
        self.mark(*members, at=at)
        transaction.on_commit(lambda: self.mark(*members, at=at))

    def _cut(self, *, now: float, since: float | None) -> float:
        if self.keep_seconds is None:
            return 0.0
        return (now - self.keep_seconds if since is None else since) - MARKS_SLACK_SECONDS

    def may_exist(self, member, *, since: float | None = None) -> bool:
        """False only when no row of ``member`` can exist (with a window: none since ``since``,
        default the start of the window)."""
        if not isinstance(caches["default"], RedisCache):
            return True
        now = time.time()
        cut = self._cut(now=now, since=since)
        asked = (_marks_ahead.get() or {}).get((self.key, str(member)))
        if asked is not None and asked[0] <= cut:  # "nothing since an earlier time" holds now too
            return asked[1]
        reset = "1" if self._lost else "0"
        answer = _MARKS_CHECK(keys=[self.key], args=[reset, str(member), repr(cut)], fallback=None)
        if answer is None:
            return True
        self._lost = False
        if int(answer) != -1:
            return bool(int(answer))
        window = None if self.keep_seconds is None else now - self.keep_seconds - MARKS_SLACK_SECONDS
        rows = self.rebuild(window)
        rows = None if rows is None else list(rows)
        if rows is None or len(rows) > MARKS_REBUILD_MAX:
            self._add([], started=now)
            return True
        self._add(rows, started=0.0)
        return True

    @staticmethod
    def ahead(checks: Iterable[tuple["Marks", Any, float | None]], *, store: dict | None = None) -> list:
        """Ask every ``(marks, member, since)`` of ``checks`` in ONE round trip, for the
        :meth:`may_exist` calls that follow in this context (until :func:`marks_forget_ahead`):
        the receivers of one signal (``core.signals.DomainSignal.ahead``). A set that is missing
        or must be dropped is left to its own call. ``store``: cache entries (``{key: value}``,
        kept until replaced) written in the same round trip (:func:`bump`'s tags); the keys that
        could not be stored are returned (all of them while Redis is unreachable), as
        ``set_many``."""
        backend = caches["default"]
        if not isinstance(backend, RedisCache):
            return cache.set_many(store, timeout=None) if store else []
        now = time.time()
        asked = [(marks, str(member), marks._cut(now=now, since=since)) for marks, member, since in checks]
        asked = [check for check in asked if not check[0]._lost]
        if not asked and not store:
            return []
        raw = {backend.make_key(key): backend._dumps(value) for key, value in (store or {}).items()}

        commands = [("MSET", *(part for pair in raw.items() for part in pair))] if raw else []
        commands += [("ZMSCORE", backend.make_key(marks.key), "@since", member) for marks, member, _cut in asked]
        answers = backend._call(None, lambda: backend._send(*commands))
        if answers is None:
            return list(store or ())
        memo = dict(_marks_ahead.get() or {})
        for (marks, member, cut), scores in zip(asked, answers[1:] if raw else answers, strict=True):
            started, marked = (None if score is None else float(score) for score in scores)
            if started is not None:  # else no set: left to its own call, which rebuilds it
                memo[(marks.key, member)] = (cut, started > cut or (marked is not None and marked >= cut))
        _marks_ahead.set(memo)
        return []

    @staticmethod
    def latest(queryset, *, member: str, at: str, since: float) -> list[tuple[Any, float]]:
        """A rebuild's pairs from ``queryset``: each ``member`` with the time of its latest row
        (the datetime field ``at``) since ``since``; one more than :data:`MARKS_REBUILD_MAX` at
        most (then the set is not kept)."""
        rows = (
            queryset.filter(**{f"{at}__gte": datetime.fromtimestamp(since, UTC)})
            .order_by()
            .values(member)
            .annotate(latest=Max(at))
            .values_list(member, "latest")[: MARKS_REBUILD_MAX + 1]
        )
        return [(key, latest.timestamp()) for key, latest in rows]

    def forget(self, member, *, before: float) -> None:
        """Drop ``member``'s mark if it is older than ``before`` (taken before the read that found
        no rows of it). Sets without a window only."""
        if self.keep_seconds is not None:
            raise ValueError("A set with a window forgets by time.")
        _MARKS_FORGET(keys=[self.key], args=[str(member), repr(before)], fallback=None)
