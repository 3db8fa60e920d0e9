"""The cache backend fails open and resumes by itself; versioned entries stay right across an
outage. Redis "goes down" through a relay this test owns (tests/redis_switch.py) or a dead port."""

import logging
import socket
import time
import uuid

import pytest
import redis
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache

from core import cache as core_cache
from core.cache import RedisCache, bump, cached, tag_versions
from tests.redis_switch import RedisSwitch, relay_cache_settings

FAST = {"socket_connect_timeout": 0.2, "socket_timeout": 0.2}


def backend(url: str, **options) -> RedisCache:
    return RedisCache(url, {"KEY_PREFIX": "core-test", "OPTIONS": {**FAST, **options}})


def dead_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"  # nothing listens once the probe is closed


def outage_warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "core.cache" and r.levelno == logging.WARNING]


def test_the_backend_reads_and_writes_what_djangos_backend_does(redis_url):
    # given Django's own RedisCache and ours on the same Redis and prefix
    ours = backend(redis_url)
    django = DjangoRedisCache(redis_url, {"KEY_PREFIX": "core-test"})
    django.set_many({"a": {"x": 1}, "n": 5})
    # when ours reads and writes
    ours.set("b", [1, 2], 30)
    added = (ours.add("b", "other"), ours.add("c", "new"))
    counts = (ours.incr("n"), ours.incr_expiring("window", ttl=5), ours.incr_expiring("window", ttl=5))
    # then both see the same values
    assert ours.get_many(["a", "b", "c", "n", "missing"]) == {"a": {"x": 1}, "b": [1, 2], "c": "new", "n": 6}
    assert django.get("b") == [1, 2] and django.get("n") == 6
    assert added == (False, True)
    assert counts == (6, 1, 2)
    assert ours.ping() is True
    ours.delete_many(["a", "b", "c", "n", "window"])
    assert django.get_many(["a", "b", "c", "n"]) == {}


def test_unreachable_redis_answers_like_an_empty_cache_and_warns_once(caplog):
    # given a backend whose Redis refuses connections, retrying on every call
    cache = backend(dead_url(), outage_retry_seconds=0)
    caplog.set_level(logging.WARNING, logger="core.cache")
    started = time.monotonic()
    # when every kind of call is made, several times
    answers = [
        (
            cache.get("k", "default"),
            cache.get_many(["k", "t"]),
            cache.add("k", 1),
            cache.set("k", 1),
            cache.set_many({"t": 1}),
            cache.incr_expiring("w", ttl=5),
            cache.delete("k"),
            cache.has_key("k"),
        )
        for _ in range(3)
    ]
    elapsed = time.monotonic() - started
    # then each answers as an empty cache would, quickly, with one warning in all
    assert answers == [("default", {}, False, None, ["t"], None, False, False)] * 3
    assert elapsed < 2
    assert len(outage_warnings(caplog)) == 1
    assert "unreachable" in outage_warnings(caplog)[0]
    # and the health check is told the truth
    with pytest.raises(redis.exceptions.ConnectionError):
        cache.ping()


def test_while_known_down_calls_skip_the_network_then_retry(redis_url, caplog):
    # given a backend through a relay to Redis, retrying 0.3 s after a failure
    switch = RedisSwitch(redis_url)
    switch.on()
    cache = backend(switch.url, outage_retry_seconds=0.3)
    cache.set("k", "v", 30)
    caplog.set_level(logging.WARNING, logger="core.cache")
    # when Redis goes away
    switch.off()
    down = cache.get("k")
    switch.on()
    # then within the retry window the backend does not try again ...
    assert (down, cache.get("k")) == (None, None)
    # ... and after it, it is back by itself
    time.sleep(0.35)
    assert cache.get("k") == "v"
    messages = outage_warnings(caplog)
    assert len(messages) == 2
    assert "unreachable" in messages[0] and "is back" in messages[1]
    switch.off()


def test_a_bump_lost_in_an_outage_is_sent_when_redis_is_back(redis_url, settings):
    # given a versioned entry cached through a relay to Redis
    switch = RedisSwitch(redis_url)
    switch.on()
    settings.CACHES = relay_cache_settings(switch, prefix="core-test", outage_retry_seconds=0.2)
    builds = []

    def build():
        builds.append(1)
        return len(builds), None

    assert cached("entry", tags=["t:1"], build=build) == 1
    # when the data changes while Redis is unreachable (the writer's bump is lost) ...
    switch.off()
    bump("t:1")
    switch.on()
    time.sleep(0.25)
    # then once Redis is back, the old entry is not served: the lost bump went out first
    assert cached("entry", tags=["t:1"], build=build) == 2
    assert cached("entry", tags=["t:1"], build=build) == 2
    switch.off()


def test_tags_found_while_building_keep_the_entry_fresh(monkeypatch):
    # given an entry whose URL names tag "page:1" but whose content turned out to depend on
    # "shop:9" too (read before the data it covers, and returned as the build's extra)
    builds = []

    def build():
        extra = tag_versions(["shop:9"])
        builds.append(1)
        return len(builds), None, extra

    assert cached("entry-x", tags=["page:1"], build=build) == 1
    assert cached("entry-x", tags=["page:1"], build=build) == 1

    # when the extra tag is bumped, then the entry is rebuilt, though the page's own tag held
    bump("shop:9")
    assert cached("entry-x", tags=["page:1"], build=build) == 2

    # and a process that does not know the entry's extra tags checks them all the same
    monkeypatch.setattr(core_cache, "_extra_tags", {})
    assert cached("entry-x", tags=["page:1"], build=build) == 2
    assert core_cache._extra_tags == {"entry-x": ("shop:9",)}
    bump("shop:9")
    monkeypatch.setattr(core_cache, "_extra_tags", {})
    assert cached("entry-x", tags=["page:1"], build=build) == 3


def test_an_entry_with_extra_tags_is_a_miss_for_a_reader_that_does_not_know_them():
    # given an entry stored with an extra tag, read the way the previous release read entries
    cached("entry-y", tags=["page:2"], build=lambda: ("value", None, tag_versions(["shop:3"])))
    found = cache.get_many(["entry-y", "page:2"])
    entry_versions, _expires_at, value = found["entry-y"]

    # then its versions are not the page's tags' (so that reader rebuilds, and does not crash)
    assert value == "value"
    assert entry_versions != (found["page:2"],)


@pytest.mark.django_db  # request_started/finished close old database connections
def test_entries_read_ahead_are_answered_without_a_round_trip_until_a_write_or_the_next_request(redis_url, monkeypatch):
    from django.core.signals import request_finished, request_started

    from core.cache import ahead_get, read_ahead
    from tests.marketplace.test_anonymous_page_cache import RedisRoundTrips

    # given two cached entries and a plain key
    for key in ("ahead:a", "ahead:b"):
        cached(key, tags=[f"tag:{key}", "tag:shared"], build=lambda key=key: (f"{key}@1", None))
    cache.set("ahead:plain", {"n": 1})
    round_trips = RedisRoundTrips(monkeypatch)
    stale = lambda: pytest.fail("an entry read ahead and still valid was rebuilt")  # noqa: E731

    # when a request reads them ahead (one round trip), then their reads cost none
    request_started.send(sender=None)
    read_ahead({key: [f"tag:{key}", "tag:shared"] for key in ("ahead:a", "ahead:b")}, keys=["ahead:plain", "nope"])
    assert round_trips.count == 1
    assert cached("ahead:a", tags=["tag:ahead:a", "tag:shared"], build=stale) == "ahead:a@1"
    assert cached("ahead:b", tags=["tag:ahead:b", "tag:shared"], build=stale) == "ahead:b@1"
    assert ahead_get("ahead:plain") == (True, {"n": 1}) and ahead_get("nope") == (True, None)
    assert ahead_get("never-read-ahead") == (False, None)
    assert round_trips.count == 1

    # and a write of the same request is never answered from before it: a bump forgets them
    bump("tag:shared")
    assert cached("ahead:a", tags=["tag:ahead:a", "tag:shared"], build=lambda: ("ahead:a@2", None)) == "ahead:a@2"
    assert ahead_get("ahead:plain") == (False, None)

    # and what one request read ahead is gone when it ends, and when the next one starts
    read_ahead(keys=["ahead:plain"])
    request_finished.send(sender=None)
    assert ahead_get("ahead:plain") == (False, None)
    read_ahead(keys=["ahead:plain"])
    request_started.send(sender=None)
    assert ahead_get("ahead:plain") == (False, None)


def test_commands_sent_by_the_cache_are_packed_as_redis_py_packs_them(redis_url):
    # given a command with text (not only ASCII), bytes and numbers
    args = ("MGET", "cat:page:π:1", b"\x80raw", 42, -7, 1764633600.125)
    # when the cache packs it
    packed = core_cache._pack(*args)
    # then the bytes are redis-py's
    connection = redis.Redis.from_url(redis_url).connection_pool.make_connection()
    assert packed == b"".join(connection.pack_command(*args))


def test_a_script_the_server_does_not_know_yet_is_loaded_and_run(redis_url):
    # given a script Redis has never seen (its text is new), on the cache's kept connection
    script = core_cache.CacheScript(f"-- {uuid.uuid4()}\nreturn {{KEYS[1], ARGV[1], tonumber(ARGV[2]) + 1}}")
    # when it runs twice (EVALSHA refused with NOSCRIPT, then EVAL; then EVALSHA)
    first = script(keys=["k"], args=["a", 41], fallback=None)
    second = script(keys=["k"], args=["b", 1], fallback=None)
    # then both answered, with the key prefixed as the cache prefixes it
    assert first == [cache.make_key("k").encode(), b"a", 42]
    assert second == [cache.make_key("k").encode(), b"b", 2]


def test_a_script_that_fails_raises_and_leaves_the_connection_in_step(redis_url):
    # given a script that raises an error in Redis
    script = core_cache.CacheScript("return redis.error_reply('nope')")
    # when it runs, then its error is raised, and the next call gets its own reply
    with pytest.raises(redis.exceptions.ResponseError):
        script(keys=[], args=[], fallback=None)
    cache.set("after-script", "fine", 30)
    assert cache.get("after-script") == "fine"


def test_a_refused_command_is_raised_after_every_reply_is_read(redis_url):
    # given a key that holds text, not a counter
    cache = backend(redis_url)
    cache.set("text", "not a number", 30)
    # when a read with counters counts on it
    with pytest.raises(redis.exceptions.ResponseError):
        cache.get_many_counting(["text"], [("text", 5)])
    # then the connection is still in step: the next calls get their own replies
    assert cache.get("text") == "not a number"
    assert cache.get_many(["text", "missing"]) == {"text": "not a number"}
    assert cache.get_many_counting([], [("counter", 5)]) == ({}, [1])
    cache.delete_many(["text", "counter"])


def test_values_read_back_are_djangos_whatever_they_hold(redis_url):
    # given values of every kind written by Django's own backend
    django = DjangoRedisCache(redis_url, {"KEY_PREFIX": "core-test"})
    values = {"int": 7, "negative": -3, "big": 2**70, "bool": True, "text": "12", "bytes": b"\x80", "none": None}
    django.set_many(values, 30)
    # when ours reads them
    ours = backend(redis_url)
    # then each is what was written (an int stored plain, the rest pickled)
    assert ours.get_many([*values, "missing"]) == values
    assert (ours.get("none", "default"), ours.get("missing", "default")) == (None, "default")
    django.delete_many(list(values))


@pytest.mark.django_db  # request_started closes old database connections
def test_process_entries_are_kept_while_their_tags_hold_and_read_them_ahead_without_a_round_trip(
    redis_url, monkeypatch, settings
):
    from django.core.signals import request_started

    from core.cache import ProcessEntries, read_ahead
    from tests.redis_switch import RedisRoundTrips

    # given entries kept in this process under two tags
    entries = ProcessEntries(tags=("pe:a", "pe:b"), max_entries=3)
    builds = []

    def build(keys):
        builds.append(list(keys))
        return {key: f"{key}@{len(builds)}" for key in keys}

    # when first asked (the tags made), then built; asked again, kept: only the missing are built
    assert entries.get_many(["x", "y"], build) == {"x": "x@1", "y": "y@1"}
    assert entries.get_many(["y", "z", "y"], build) == {"y": "y@1", "z": "z@2"}
    assert builds == [["x", "y"], ["z"]]
    assert entries.holds("z") and not entries.holds("w")

    # and a request that read the tags ahead (a page reads its own) asks them without a round trip
    request_started.send(sender=None)
    read_ahead({"some-page": ("pe:a", "pe:b")})
    round_trips = RedisRoundTrips(monkeypatch)
    assert entries.get_many(["x"], build) == {"x": "x@1"}
    assert round_trips.count == 0
    monkeypatch.undo()

    # when one of the tags is bumped (a write committed), then every entry is built again
    bump("pe:b")
    assert entries.holds("y")  # the tokens last seen: not asked again
    assert entries.get_many(["x", "z"], build) == {"x": "x@3", "z": "z@3"}
    assert not entries.holds("y")
    # and no more than max_entries are kept, the first in going first
    entries.get_many(["p", "q"], build)
    assert entries.get_many(["x"], build) == {"x": "x@5"}
    assert entries.get_many(["q"], build) == {"q": "q@4"}

    # when the cache is unreachable, then nothing is kept: built for every call
    settings.CACHES = {"default": {"BACKEND": "core.cache.RedisCache", "LOCATION": dead_url(), "OPTIONS": FAST}}
    assert entries.get_many(["q"], build) == {"q": "q@6"}
    assert entries.get_many(["q"], build) == {"q": "q@7"}
    request_started.send(sender=None)
