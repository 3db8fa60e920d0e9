"""Versioned read caches for the catalogue (rendered fragments and serialized API pages).

An entry is stored with the *tags* it depends on: each tag is a cache key holding a random
version token. A reader fetches the entry and its tags in ONE cache round trip (``get_many``)
and uses the entry only if every tag still holds the token the entry was built under and the
entry's ``expires_at`` (the next sale boundary that could change a price in it) has not passed.

Writers never delete entries; they replace tag tokens *after their transaction commits*
(:func:`bump_on_commit`). Because a reader reads the tokens *before* it reads the database, an
entry built from data older than a bump always carries an outdated token and is never served.
A token that was evicted is recreated with a fresh random value, so eviction can only cause a
miss, never a stale hit.
"""

import math
import time
import uuid
import weakref
from collections.abc import Callable, Iterable
from typing import Any

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db import transaction

#: Upper bound on any entry's life: a missed invalidation heals within this many seconds.
MAX_TTL = 300

#: Every catalogue entry depends on this tag: bumping it drops everything (sale times edited,
#: deals approved or changed, categories edited).
TAG_ALL = "cat:v:all"
#: Lists (product list, search, category, shop and home sections): bumped by any product write.
TAG_LISTS = "cat:v:lists"


def product_tag(product_id: int) -> str:
    return f"cat:v:p:{product_id}"


def _token() -> str:
    return uuid.uuid4().hex[:16]


_redis_clients: "weakref.WeakKeyDictionary[Any, Any]" = weakref.WeakKeyDictionary()


def _get_many(keys: list[str]) -> dict:
    """``cache.get_many`` in one round trip, on a Redis client kept for the process.

    Django's RedisCache builds a new ``redis.Redis`` object for every call, which costs more
    than the round trip itself (~0.1 ms on the 2-core machine) — too much on the hottest path
    of the site (a cached product page). Same keys and serializer as the backend; other
    backends go through ``get_many``.
    """
    backend = caches["default"]
    client = redis_client()
    if client is None:
        return backend.get_many(keys)
    loads = backend._cache._serializer.loads
    raw = client.mget([backend.make_key(key) for key in keys])
    return {key: loads(value) for key, value in zip(keys, raw, strict=True) if value is not None}


def redis_client():
    """The default cache's ``redis.Redis`` client, made once per process; None when the cache
    is not Redis. Keys must go through ``caches["default"].make_key``."""
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return None
    redis_cache = backend._cache  # RedisCacheClient: private, but stable since Django 4.0
    client = _redis_clients.get(redis_cache)
    if client is None:
        client = _redis_clients[redis_cache] = redis_cache.get_client(None)
    return client


def cached(key: str, *, tags: Iterable[str], build: Callable[[], tuple[Any, float | None]]) -> Any:
    """Return the value cached under ``key`` if still valid, else ``build()`` it and cache it.

    ``build`` returns ``(value, expires_at)`` where ``expires_at`` is a POSIX timestamp after
    which the value may be wrong (e.g. the next sale start/end), or None; a time in the past
    (e.g. 0) means "do not store this one".
    """
    tags = tuple(tags)
    found = _get_many([key, *tags])
    versions = tuple(found.get(tag) for tag in tags)
    entry = found.get(key)
    if None not in versions and entry is not None:
        entry_versions, expires_at, value = entry
        if entry_versions == versions and (expires_at is None or time.time() < expires_at):
            return value
    if None in versions:
        versions = _ensure_versions(tags, found)
    value, expires_at = build()
    ttl = MAX_TTL if expires_at is None else min(MAX_TTL, math.ceil(expires_at - time.time()))
    if ttl > 0:
        cache.set(key, (versions, expires_at, value), timeout=ttl)
    return value


def _ensure_versions(tags: tuple[str, ...], found: dict) -> tuple[str, ...]:
    missing = [tag for tag in tags if found.get(tag) is None]
    for tag in missing:
        cache.add(tag, _token(), timeout=None)
    found = {**found, **cache.get_many(missing)}
    return tuple(found.get(tag) for tag in tags)


def bump(*tags: str) -> None:
    """Invalidate every entry that depends on any of ``tags`` (call after commit)."""
    cache.set_many({tag: _token() for tag in tags}, timeout=None)


def bump_on_commit(*tags: str) -> None:
    """Bump ``tags`` when the current transaction commits (at once outside a transaction)."""
    transaction.on_commit(lambda: bump(*tags))
