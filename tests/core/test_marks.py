"""``core.cache.Marks``: "may there be rows?" from Redis, the database staying the truth. The
rows here are a list the test owns (what a rebuild reads); Redis is the run's real one, or a relay
this test switches off (tests/redis_switch.py)."""

import time

import pytest
from django.db import transaction

from core.cache import MARKS_REBUILD_MAX, MARKS_SLACK_SECONDS, Marks
from tests.redis_switch import RedisSwitch, relay_cache_settings

pytestmark = pytest.mark.usefixtures("redis_url")

DAY = 24 * 3600


def complete(rows: list) -> Marks:
    return Marks("test:pins", rebuild=lambda _since: [(member, time.time()) for member in rows])


def test_a_missing_set_is_rebuilt_from_the_rows_and_then_answers_without_them():
    # given members 7 and 8 with rows, and a set that does not exist yet
    rows = [7, 8]
    marks = complete(rows)
    # when it is first asked (a rebuild: "maybe"), then asked again
    assert marks.may_exist(9) is True
    # then members with rows may exist, others not, without reading the rows again
    rows.clear()
    assert (marks.may_exist(7), marks.may_exist(8), marks.may_exist(9)) == (True, True, False)


def test_a_mark_made_before_its_row_is_seen_at_once():
    marks = complete([])
    marks.may_exist(1)  # built, empty
    assert marks.may_exist(5) is False
    # when a writer marks member 5 (before writing its row)
    marks.mark(5)
    # then a reader is sent to the database
    assert marks.may_exist(5) is True


def test_forget_drops_only_a_mark_older_than_the_read_that_found_nothing():
    marks = complete([3, 4])
    marks.may_exist(3)
    # given a reader that starts its database read now and finds no rows of 3 and 4 ...
    before = time.time()
    # ... while a writer marks 4 again after committing a row the reader could not see
    time.sleep(0.002)
    marks.mark(4)
    marks.forget(3, before=before)
    marks.forget(4, before=before)
    # then 3 is forgotten, 4 keeps its mark
    assert (marks.may_exist(3), marks.may_exist(4)) == (False, True)


def test_mark_on_commit_marks_again_after_commit(db, django_capture_on_commit_callbacks):
    marks = complete([])
    marks.may_exist(1)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        marks.mark_on_commit(6)
        before = time.time()  # a reader's read that cannot see the uncommitted row
        marks.forget(6, before=before + 1)
        assert marks.may_exist(6) is False
    # the commit marked it again
    assert marks.may_exist(6) is True


def test_a_window_answers_for_rows_since_a_time_and_prunes_older_marks():
    now = time.time()
    rows = [(1, now - 2 * 3600), (2, now - 30 * 3600)]
    marks = Marks("test:clicks", keep_seconds=DAY, rebuild=lambda since: [r for r in rows if r[1] >= since])
    assert marks.may_exist(1) is True  # the rebuild
    rows.clear()
    # then 1 clicked within the window, 2 only before it, 3 never
    assert (marks.may_exist(1), marks.may_exist(2), marks.may_exist(3)) == (True, False, False)
    # and "since an hour ago" leaves 1 out (slack apart)
    assert marks.may_exist(1, since=now - 3600 + MARKS_SLACK_SECONDS + 1) is False
    # a new mark counts from its time
    marks.mark(3, at=now)
    assert marks.may_exist(3, since=now - 10) is True


def test_a_rebuild_too_large_to_keep_starts_an_empty_set_trusted_only_after_its_window():
    now = time.time()
    marks = Marks("test:many", keep_seconds=DAY, rebuild=lambda since: [(i, now) for i in range(MARKS_REBUILD_MAX + 1)])
    assert marks.may_exist(1) is True
    # then within the window the set is not trusted: everyone may have rows
    assert marks.may_exist(10**9) is True
    # a day (and the slack) after it started, it is
    assert marks.may_exist(10**9, since=now + DAY + MARKS_SLACK_SECONDS + 1) is False


def test_a_mark_lost_while_redis_is_unreachable_drops_the_set_when_it_is_back(redis_url, settings):
    # given a set built through a relay to Redis, with no rows
    switch = RedisSwitch(redis_url)
    switch.on()
    settings.CACHES = relay_cache_settings(switch, prefix="marks-test", outage_retry_seconds=0.2)
    rows = []
    marks = complete(rows)
    marks.may_exist(1)
    marks.may_exist(1)
    assert marks.may_exist(2) is False
    # when a writer's mark is lost (Redis unreachable) and its row is written
    switch.off()
    marks.mark(2)
    rows.append(2)
    # then while Redis is away every answer is "maybe"
    assert marks.may_exist(2) is True
    switch.on()
    time.sleep(0.25)
    # and once it is back, the set is dropped and rebuilt: the row is seen
    assert marks.may_exist(2) is True
    assert marks.may_exist(2) is True
    switch.off()


def test_without_redis_every_answer_is_maybe(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    marks = complete([])
    marks.mark(1)
    assert (marks.may_exist(1), marks.may_exist(2)) == (True, True)


def test_a_signals_receivers_ask_their_marks_in_one_round_trip(monkeypatch):
    # given two built sets (a window and a complete one) and a signal whose two receivers each
    # ask one of them, registered ahead
    from core.signals import DomainSignal, send_now
    from tests.redis_switch import RedisRoundTrips

    now = time.time()
    clicks = Marks("test:ahead-clicks", keep_seconds=DAY, rebuild=lambda since: [(1, now)])
    pins = complete([7])
    clicks.may_exist(0)
    pins.may_exist(0)
    signal = DomainSignal("test_placed", ["buyer_id", "deal_id"])
    answers = []

    def on_clicks(sender, buyer_id, deal_id, **kwargs):
        answers.append(clicks.may_exist(buyer_id))

    def on_pins(sender, buyer_id, deal_id, **kwargs):
        answers.append(pins.may_exist(deal_id))

    signal.connect(on_clicks, dispatch_uid="a")
    signal.connect(on_pins, dispatch_uid="b")
    signal.ahead(lambda buyer_id, **_: [(clicks, buyer_id, None)], dispatch_uid="a")
    signal.ahead(lambda deal_id, **_: [(pins, deal_id, None)], dispatch_uid="b")
    # when it is sent for a buyer who clicked and a deal not pinned, then for the reverse
    trips = RedisRoundTrips(monkeypatch)
    send_now(signal, sender=None, buyer_id=1, deal_id=8)
    send_now(signal, sender=None, buyer_id=2, deal_id=7)
    # then each send was one round trip, with the answers each receiver would get alone
    assert trips.count == 2
    assert answers == [True, False, False, True]
    assert (clicks.may_exist(1), pins.may_exist(8), clicks.may_exist(2), pins.may_exist(7)) == (
        True,
        False,
        False,
        True,
    )


def test_tags_bumped_with_a_signal_ride_in_its_marks_round_trip(monkeypatch):
    # given a built set, a signal whose receiver asks it (registered ahead), and an entry cached
    # under a tag
    from core.cache import cached
    from core.signals import DomainSignal, send_now
    from tests.redis_switch import RedisRoundTrips

    pins = complete([7])
    pins.may_exist(0)
    signal = DomainSignal("test_bumped", ["deal_id"])
    answers = []
    signal.connect(
        lambda sender, deal_id, **kwargs: answers.append(pins.may_exist(deal_id)), dispatch_uid="a", weak=False
    )
    signal.ahead(lambda deal_id, **_: [(pins, deal_id, None)], dispatch_uid="a")
    assert cached("test:bumped", tags=["tag:test-bumped"], build=lambda: ("old", None)) == "old"

    # when it is sent with that tag to bump
    trips = RedisRoundTrips(monkeypatch)
    send_now(signal, sender=None, bump=("tag:test-bumped",), deal_id=7)
    send_now(signal, sender=None, bump=("tag:test-bumped",), deal_id=8)

    # then each send was one round trip, the receiver got its answers, and the entry was dropped
    assert trips.count == 2
    assert answers == [True, False]
    assert cached("test:bumped", tags=["tag:test-bumped"], build=lambda: ("new", None)) == "new"
