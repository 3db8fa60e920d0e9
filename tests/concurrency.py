"""Shared helpers for tests that run things at once or wait for another process:
:func:`run_concurrently` (the one thread-barrier runner) and :func:`wait_for`. The real Celery
worker is the ``celery_worker`` fixture in ``tests/conftest.py``.

Threads use real database connections: keep each test under ~40 at once (CI's PostgreSQL has 100
slots and other runs share it); ``JISHI_TEST_MAX_THREADS`` lowers the cap."""

import os
import queue
import threading
import time
from collections.abc import Callable

from django.db import OperationalError, connection

MAX_THREADS = int(os.environ.get("JISHI_TEST_MAX_THREADS", "40"))


def run_concurrently(calls: list[Callable], *, threads: int = MAX_THREADS) -> list:
    """Run every call on real threads, each with its own database connection, released together
    by a barrier; at most ``threads`` run at once and take calls from a shared queue. Returns each
    call's result, or the exception it raised, in the order of ``calls``."""
    results: list = [None] * len(calls)
    todo: queue.SimpleQueue = queue.SimpleQueue()
    for index, call in enumerate(calls):
        todo.put((index, call))
    count = min(threads, len(calls))
    barrier = threading.Barrier(count)

    def worker():
        try:
            connection.ensure_connection()
            barrier.wait(timeout=60)
            while True:
                try:
                    index, call = todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    results[index] = call()
                except Exception as exc:  # noqa: BLE001 - returned to the test, which asserts on it
                    results[index] = exc
        finally:
            connection.close()

    workers = [threading.Thread(target=worker) for _ in range(count)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(timeout=240)
    assert not any(thread.is_alive() for thread in workers), "a worker thread hung"
    return results


def raised(results: list) -> list[Exception]:
    """The exceptions among :func:`run_concurrently`'s results."""
    return [result for result in results if isinstance(result, Exception)]


def wait_for(condition: Callable, *, timeout: float = 30.0, every: float = 0.2):
    """Poll ``condition()`` until it returns something truthy (returned) or ``timeout`` seconds
    pass (then its last value is returned, so ``assert wait_for(...)`` fails)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if value := condition():
                return value
        except OperationalError as error:
            # SQLite's in-memory test database locks a table while a worker thread writes it and
            # answers at once ("database table is locked"), where PostgreSQL would wait: not yet
            if connection.vendor != "sqlite" or "locked" not in str(error):
                raise
        time.sleep(every)
    return condition()
