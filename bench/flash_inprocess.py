"""In-process flash-sale timing (not a test, no HTTP server): one checkout that places an order,
and one refused ("sold out") checkout, through Django's test client with an API token.

    source env.sh && .venv/bin/python bench/flash_inprocess.py [--orders 200] [-n 2000] [--profile]

Uses the database and Redis it is given (``DATABASE_URL``, ``REDIS_URL``: the worktree's) and
creates a fresh flash deal each run (``marketplace.demo.sales.bench_flash_sale``: ``--orders``
units, one per buyer, ``--orders`` + 200 buyers). With DEBUG=false it times, per request:

1. the orders: every unit bought by its own buyer (``POST /api/v1/checkout/`` with a token and
   an Idempotency-Key), median ms, SQL statements and Redis round trips per order, and the time
   spent in PostgreSQL (``connection.execute_wrapper``) and Redis (redis-py calls timed);
2. the sold-out answers: ``-n`` refused checkouts of the buyers left (each a fresh key), the
   first answer of each buyer apart (it may rebuild what the gate keeps in Redis) from the rest.

``--profile`` prints pyinstrument's profile of 50 orders (pyinstrument, in requirements-dev.txt);
``--profile-sold-out`` cProfile's of the ``-n`` repeated sold-out answers (CPU time), by own time.
It measures the code of the directory it is run from. Output on stderr.
"""

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path.cwd()))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["DEBUG"] = "false"
os.environ.setdefault("SECRET_KEY", "bench-flash-inprocess-not-secret-" + "x" * 40)


def token_checkout(client, token: str):
    """A buyer's token checkout of their cart through Django's test ``client``, as the mobile app
    sends it (also used by bench/flash_callgrind.py)."""
    return client.post(
        "/api/v1/checkout/",
        b"{}",
        content_type="application/json",
        secure=True,
        HTTP_AUTHORIZATION=f"Token {token}",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )


class Timed:
    """Counts and times what redis-py sends (one command or one pipeline: one round trip) and
    the SQL statements run."""

    def __init__(self):
        import redis
        import redis.client

        self.redis_calls, self.redis_seconds, self.queries, self.db_seconds = 0, 0.0, 0, 0.0
        from core.cache import RedisCache

        self._patched = [(redis.Redis, "execute_command"), (redis.client.Pipeline, "execute"), (RedisCache, "_send")]
        self._originals = [getattr(cls, name) for cls, name in self._patched]

    def _sql(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries += 1
            self.db_seconds += time.perf_counter() - started

    def __enter__(self):
        from django.db import connection

        timed = self
        for (cls, name), original in zip(self._patched, self._originals, strict=True):

            def counted(*args, _original=original, **kwargs):
                started = time.perf_counter()
                try:
                    return _original(*args, **kwargs)
                finally:
                    timed.redis_calls += 1
                    timed.redis_seconds += time.perf_counter() - started

            setattr(cls, name, counted)
        self._wrapper = connection.execute_wrapper(self._sql)
        self._wrapper.__enter__()
        return self

    def __exit__(self, *exc):
        self._wrapper.__exit__(*exc)
        for (cls, name), original in zip(self._patched, self._originals, strict=True):
            setattr(cls, name, original)


def sample(calls: list, log, interval: float = 0.0005) -> None:
    """Run ``calls`` with a SIGPROF every ``interval`` of this process's CPU time, and print the
    share of samples in which each function was on the stack (inclusive) and on top (own time;
    time in C is the calling Python function's). Unlike cProfile, no cost per call is added."""
    import signal
    from collections import Counter

    inclusive, own, total = Counter(), Counter(), [0]

    def name(code) -> str:
        path = code.co_filename
        for cut in ("site-packages/", "/lib/python3.11/", str(Path.cwd()) + "/"):
            if cut in path:
                path = path.split(cut, 1)[1]
        return f"{path}:{code.co_firstlineno}({code.co_name})"

    def handler(_signum, frame):
        total[0] += 1
        own[name(frame.f_code)] += 1
        seen = set()
        while frame is not None:
            seen.add(name(frame.f_code))
            frame = frame.f_back
        inclusive.update(seen)

    signal.signal(signal.SIGPROF, handler)
    started = time.process_time()
    signal.setitimer(signal.ITIMER_PROF, interval, interval)
    try:
        for call in calls:
            call()
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0, 0)
    spent = time.process_time() - started
    log(f"{total[0]} samples, {spent * 1000 / len(calls):.2f} ms of CPU per call")
    for title, counts in (("own", own), ("inclusive", inclusive)):
        log(f"--- {title}")
        for function, count in counts.most_common(60 if title == "own" else 110):
            log(f"{100 * count / total[0]:6.1f}%  {function}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=200, help="flash units, each bought by one buyer")
    parser.add_argument("-n", type=int, default=2000, help="timed sold-out answers")
    parser.add_argument("--profile", action="store_true", help="pyinstrument profile of 50 orders")
    parser.add_argument(
        "--profile-orders", action="store_true", help="cProfile of the orders (wall clock), by own and cumulative time"
    )
    parser.add_argument("--sql", action="store_true", help="print the SQL statements of one order")
    parser.add_argument(
        "--sample", action="store_true", help="sample the orders' stacks every 0.5 ms of CPU time (SIGPROF)"
    )
    parser.add_argument(
        "--profile-sold-out", action="store_true", help="cProfile of the -n repeated sold-out answers (by own time)"
    )
    args = parser.parse_args()

    import django

    django.setup()
    import logging

    logging.getLogger("django.request").setLevel(logging.ERROR)  # every 409 is a WARNING
    from django.test import Client

    from marketplace.demo.sales import bench_flash_sale

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    data = bench_flash_sale(
        run=uuid.uuid4().hex[:8], buyers=args.orders + 200, flash_quantity=args.orders, stock=args.orders * 10
    )
    tokens = data["tokens"]
    client = Client()

    def checkout(token: str):
        return token_checkout(client, token)

    def postgres_cpu() -> float:
        """CPU seconds of this process's PostgreSQL backend (from /proc: same machine; 10 ms ticks)."""
        from django.db import connection

        connection.ensure_connection()
        pid = connection.connection.info.backend_pid
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def measure(label: str, calls: list, expect: int) -> None:
        times, cpu, splits = [], [], []
        backend_before = postgres_cpu()
        for call in calls:
            with Timed() as timed:
                started, started_cpu = time.perf_counter(), time.process_time()
                response = call()
                elapsed, elapsed_cpu = time.perf_counter() - started, time.process_time() - started_cpu
            if response.status_code != expect:
                raise SystemExit(f"{label}: {response.status_code} {response.content[:300]!r}")
            times.append(elapsed * 1000)
            cpu.append(elapsed_cpu * 1000)
            splits.append(timed)
        backend = (postgres_cpu() - backend_before) / len(calls) * 1000
        median = statistics.median(times)
        db = statistics.median(s.db_seconds * 1000 for s in splits)
        rd = statistics.median(s.redis_seconds * 1000 for s in splits)
        log(
            f"{label:<34} {len(calls):>5}  median {median:6.2f} ms  p90 {statistics.quantiles(times, n=10)[-1]:6.2f} ms"
            f"  queries {statistics.median(s.queries for s in splits):4.1f}"
            f"  Redis {statistics.median(s.redis_calls for s in splits):3.0f} round trips"
            f"  DB {db:5.2f} ms  Redis {rd:5.2f} ms  Python {median - db - rd:5.2f} ms"
            f"  CPU median {statistics.median(cpu):5.2f} ms mean {statistics.mean(cpu):5.2f} ms"
            f"  PostgreSQL backend CPU {backend:5.2f} ms"
        )

    log(f"flash deal {data['deal']}: {args.orders} units, {len(tokens)} buyers; load {os.getloadavg()[0]:.2f}")
    buyers, late = tokens[: args.orders], tokens[args.orders :]
    checkout(buyers[0])  # warm-up: compiled and prepared statements, the gate's counters
    if args.sql:
        from django.db import connection

        def shown(execute, sql, params, many, context):
            log(f"  SQL {sql[:160]!r} {str(params)[:80]}")
            return execute(sql, params, many, context)

        with connection.execute_wrapper(shown):
            checkout(buyers[1])
        buyers = [buyers[0], *buyers[2:]]
    if args.sample:
        sample([lambda t=t: checkout(t) for t in buyers[1:]], log)
        buyers = buyers[:1]
    elif args.profile_orders:
        import cProfile
        import io
        import pstats

        calls = [lambda t=t: checkout(t) for t in buyers[1:]]
        # wall-clock timer: process_time is a system call here (~0.4 us), which would weigh a
        # function by its number of calls; run it on a quiet machine
        profile = cProfile.Profile()
        profile.runcall(lambda: [call() for call in calls])
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out)
        stats.sort_stats("tottime").print_stats(40)
        stats.sort_stats("cumulative").print_stats(80)
        if os.environ.get("CALLERS"):
            stats.print_callers(os.environ["CALLERS"])
        log(out.getvalue())
        buyers = buyers[:1]
    elif args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        profiler.start()
        for token in buyers[1:51]:
            checkout(token)
        profiler.stop()
        log(profiler.output_text(unicode=True, color=False, show_all=False))
        buyers = buyers[51:]
    else:
        measure("order (201)", [lambda t=t: checkout(t) for t in buyers[1:]], 201)
    measure("sold out, a buyer's first (409)", [lambda t=t: checkout(t) for t in late], 409)
    again = [late[i % len(late)] for i in range(args.n)]
    calls = [lambda t=t: checkout(t) for t in again]
    measure("sold out, again (409)", calls, 409)
    if args.profile_sold_out:
        import cProfile
        import io
        import pstats

        profile = cProfile.Profile(time.process_time)  # CPU time: preemption is not blamed on code
        profile.runcall(lambda: [call() for call in calls])
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out).sort_stats("tottime")
        stats.print_stats(45)
        if os.environ.get("CALLERS"):
            stats.print_callers(os.environ["CALLERS"])
        log(out.getvalue())
    log(f"load after {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
