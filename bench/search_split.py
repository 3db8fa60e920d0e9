"""Search with a distinct query per request, in-process only (not a test; no server, no wrk).

    .venv/bin/python bench/search_split.py [--requests 100] [--seed 1] [--cold] [--api] [--profile [N]]

The data of ``bench/marketplace_http.py`` (the demo grown to 10,000 products; DATABASE_URL /
REDIS_URL, so ``source env.sh`` in a worktree measures that worktree's database; run
marketplace_http.py or signed_in_split.py once to prepare it) and its settings (``DEBUG=false``).
It bumps the lists' cache tag first, so **every request misses the page cache** (what a new
query does), then asks ``/search/?search=<query>`` (``--api``: ``/api/v1/products/``) for
``--requests`` queries drawn with ``--seed`` from the 13,000 of ``bench_search_queries``, and
prints the median total, PostgreSQL, Redis and Python milliseconds, the queries per request and
the median CPU time of the Django process (steadier than wall-clock time on a shared machine) —
for all of them and separately for the queries that found products and those that found nothing
(a page of close matches). ``--cold`` bumps ``TAG_ALL`` instead: product cards and the sidebar
are rebuilt too (the first visit of each product's card); without it the cards cached by earlier
requests count, as they would on a live site. ``--profile`` also prints cProfile's listing of
the timed requests (the ``N`` functions with the most time of their own, then cumulative; the
figures are then inflated by the profiler: compare them with each other only).
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from marketplace_http import bench_env, manage  # noqa: E402

SPLIT = r"""
import cProfile, io, json, pstats, random, sys, time
import redis
from django.db import connection
from django.test import Client
from core.cache import RedisCache, bump
from marketplace.caching import TAG_ALL, TAG_LISTS
from marketplace.demo.bench import bench_search_queries

args = json.loads(sys.stdin.read())
prefix = "/api/v1/products/?search=" if args["api"] else "/search/?search="
queries = random.Random(args["seed"]).sample(bench_search_queries(count=13000), args["requests"])
db, rd = {"n": 0, "s": 0.0}, {"n": 0, "s": 0.0}

def on_query(execute, sql, params, many, context):
    started = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        db["n"] += 1
        db["s"] += time.perf_counter() - started

def timed(method):
    def wrapper(*a, **k):
        started = time.perf_counter()
        try:
            return method(*a, **k)
        finally:
            rd["n"] += 1
            rd["s"] += time.perf_counter() - started
    return wrapper

redis.Redis.execute_command = timed(redis.Redis.execute_command)
redis.client.Pipeline.execute = timed(redis.client.Pipeline.execute)
RedisCache._send = timed(RedisCache._send)  # the cache's own round trips (core/cache.py)
client = Client(HTTP_HOST="127.0.0.1")
client.get(prefix + "warm up")
bump(TAG_ALL if args["cold"] else TAG_LISTS)
rows = []
# by CPU time: a wall-clock profile on a shared machine blames preemption on whatever ran
profiler = cProfile.Profile(time.process_time) if args["profile"] else None
if profiler:
    profiler.enable()
with connection.execute_wrapper(on_query):
    for q in queries:
        db0, rd0, n0 = db["s"], rd["s"], db["n"]
        started, cpu0 = time.perf_counter(), time.process_time()
        response = client.get(prefix + q)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu0
        assert response.status_code == 200, (q, response.status_code)
        nothing = b"Close matches" in response.content or b"No products match" in response.content
        if args["api"]:
            nothing = not json.loads(response.content)["results"]
        rows.append((elapsed, db["s"] - db0, rd["s"] - rd0, db["n"] - n0, nothing, cpu))
if profiler:
    profiler.disable()
    for order in ("tottime", "cumulative"):
        text = io.StringIO()
        only = [args["filter"]] if args.get("filter") else []
        pstats.Stats(profiler, stream=text).sort_stats(order).print_stats(*only, args["profile"])
        print(text.getvalue())

def median(values):
    values = sorted(values)
    return values[len(values) // 2] * 1000 if values else 0.0

out = {}
for name, part in (("all", rows), ("found", [r for r in rows if not r[4]]), ("nothing", [r for r in rows if r[4]])):
    out[name] = {"n": len(part), "ms": median(r[0] for r in part), "db_ms": median(r[1] for r in part),
                 "redis_ms": median(r[2] for r in part), "python_ms": median(r[0] - r[1] - r[2] for r in part),
                 "queries": sum(r[3] for r in part) / max(1, len(part)),
                 "mean_ms": sum(r[0] for r in part) / max(1, len(part)) * 1000,
                 "cpu_ms": median(r[5] for r in part)}
print(json.dumps(out))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cold", action="store_true", help="product cards and sidebar rebuilt too (TAG_ALL)")
    parser.add_argument("--api", action="store_true", help="the API product list instead of the page")
    parser.add_argument(
        "--profile", type=int, nargs="?", const=40, default=0, help="print cProfile's top N functions too"
    )
    parser.add_argument("--profile-filter", help="only the functions whose file and name match this regex")
    args = parser.parse_args()
    env = bench_env()
    stdin = json.dumps(
        {
            "requests": args.requests,
            "seed": args.seed,
            "cold": args.cold,
            "api": args.api,
            "profile": args.profile,
            "filter": args.profile_filter,
        }
    )
    lines = manage(env, "shell", "-c", SPLIT, stdin=stdin).strip().splitlines()
    if args.profile:
        print("\n".join(lines[:-1]))
    out = json.loads(lines[-1])
    print(
        f"{'queries':<8} {'n':>4} {'median ms':>10} {'db ms':>7} {'redis ms':>9} {'python ms':>10} "
        f"{'queries':>8} {'mean ms':>8} {'cpu ms':>7}"
    )
    for name, s in out.items():
        print(
            f"{name:<8} {s['n']:>4} {s['ms']:>10.2f} {s['db_ms']:>7.2f} {s['redis_ms']:>9.2f} "
            f"{s['python_ms']:>10.2f} {s['queries']:>8.1f} {s['mean_ms']:>8.2f} {s['cpu_ms']:>7.2f}"
        )


if __name__ == "__main__":
    main()
