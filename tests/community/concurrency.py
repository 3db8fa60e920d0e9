"""Run a function in real threads at once, each on its own database connection."""

import threading

from django.db import connection


def run_in_threads(n: int, fn) -> list[Exception]:
    """Start ``n`` threads that call ``fn(i)`` together (a barrier lines them up); return the
    exceptions raised. Each thread closes its connection when done."""
    barrier = threading.Barrier(n)
    errors: list[Exception] = []

    def run(i):
        try:
            barrier.wait()
            fn(i)
        except Exception as exc:  # noqa: BLE001 - returned to the test, which asserts on it
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors
