"""The "for you" job survives a worker process killed halfway: a real Celery worker process
(prefork, one pool process) on the run's Redis and PostgreSQL, whose pool process is killed with
SIGKILL while it works through the job. Its own module: no in-thread worker may compete for
the queue."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from headline.models import StoryFeedEntry
from headline.selectors.feeds import story_feed_score
from headline.tasks import story_feed_rebuild
from tests.community.factories import UserFactory, UserFollowFactory
from tests.concurrency import wait_for
from tests.headline.factories import StoryFactory

ROOT = Path(__file__).resolve().parents[2]


def _worker_env() -> dict:
    """The environment of a worker process that uses this test run's database and broker."""
    env = dict(os.environ)
    db = settings.DATABASES["default"]
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    env["DATABASE_URL"] = f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env["LOG_LEVEL"] = "WARNING"
    return env


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(line) for line in out.split()]


@pytest.mark.django_db(transaction=True)
def test_a_worker_process_killed_halfway_through_the_job_loses_nothing(postgres, redis_url):
    # given 40 people with follows and stories to score, and the job's fixed moment
    people = UserFactory.create_batch(40)
    authors = UserFactory.create_batch(5)
    for i, person in enumerate(people):
        UserFollowFactory(follower=person, user=authors[i % 5])
    for author in authors:
        StoryFactory.create_batch(3, author=author)
    now = timezone.now()
    # when a real worker process (prefork pool, one child) starts on the job...
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "feeds", "-c", "1", "-P", "prefork",
         "--without-gossip", "--without-mingle", "--loglevel", "WARNING"],
        cwd=ROOT, env=_worker_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for person in people:
            story_feed_rebuild.apply_async(args=[person.pk, now.isoformat()], queue="feeds")
        done = StoryFeedEntry.objects.values("user_id").distinct()
        # ... and its pool process is killed (as by the OOM killer) once some feeds are built
        assert wait_for(lambda: done.count() >= 5, timeout=60), "the worker did not start the job"
        killed = _children(worker.pid)
        assert killed, "no pool process to kill"
        assert done.count() < 40, "the job finished before the kill: nothing was tested"
        for pid in killed:
            os.kill(pid, signal.SIGKILL)
        # then the worker replaces it, the task in flight is redelivered, and every feed is built
        assert wait_for(lambda: done.count() == 40, timeout=90), f"only {done.count()} of 40 feeds were built"
        time.sleep(1)  # a redelivered duplicate may still be running; it writes the same rows
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    # and each person's entries are exactly what one clean rebuild as of ``now`` gives
    for person in people:
        stored = list(
            StoryFeedEntry.objects.filter(user=person).order_by("-score", "-story_id").values_list("story_id", "reason")
        )
        expected = list(story_feed_score(user=person, now=now).values_list("pk", "reason")[:400])
        assert stored == expected
