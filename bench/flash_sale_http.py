"""Flash-sale checkout benchmark (not a test): many buyers check out one flash deal at once.

    make bench-flash                  # or: .venv/bin/python bench/flash_sale_http.py [--buyers 1000]

What it does, in one run:
1. uses PostgreSQL and Redis (DATABASE_URL / REDIS_URL; defaults: a `jishi_bench` database on
   127.0.0.1 and Redis db 15) and migrates;
2. creates a live sale with one flash deal (half price, ``--flash`` units, one per buyer) on a
   product with more stock than that, and ``--buyers`` users with API tokens, each with one of
   the product in their cart (marketplace/demo/sales.py: ``bench_flash_sale``);
3. starts gunicorn (sync workers, DEBUG=false) on a loopback port, as in deployment;
4. fires every buyer's ``POST /api/v1/checkout/`` (with an Idempotency-Key) from ``--concurrency``
   threads at once, stopping new requests after ``--time-limit`` seconds;
5. prints orders/s, p50/p99 latency, the answers by status, and the number oversold: units
   counted or ordered past the flash cap (must be 0).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from http.client import HTTPConnection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from marketplace_http import PY, ROOT, bench_env, ensure_database, free_port, manage, wait_until_up  # noqa: E402

SETUP = """
import json
from marketplace.demo.sales import bench_flash_sale
print(json.dumps(bench_flash_sale(run={run!r}, buyers={buyers}, flash_quantity={flash}, stock={stock})))
"""
RESULT = """
import json
from marketplace.demo.sales import bench_flash_sale_result
print(json.dumps(bench_flash_sale_result(deal_id={deal})))
"""


def shell(env: dict, code: str) -> dict:
    return json.loads(manage(env, "shell", "-c", code).strip().splitlines()[-1])


def checkout(port: int, token: str) -> tuple[int, float, float]:
    """One buyer's checkout: (HTTP status, seconds taken, perf_counter when it finished)."""
    started = time.perf_counter()
    connection = HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        headers = {
            "Authorization": f"Token {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": str(uuid.uuid4()),
        }
        connection.request("POST", "/api/v1/checkout/", body="{}", headers=headers)
        response = connection.getresponse()
        response.read()
        finished = time.perf_counter()
        return response.status, finished - started, finished
    except OSError:
        finished = time.perf_counter()
        return 0, finished - started, finished
    finally:
        connection.close()


def fire(port: int, tokens: list[str], *, concurrency: int, time_limit: float) -> tuple[list, float, float]:
    """All checkouts from ``concurrency`` threads; tokens not started by ``time_limit`` are skipped.
    Returns the results, the seconds they took in all, and when (perf_counter) firing began."""
    deadline = time.monotonic() + time_limit
    start = threading.Barrier(min(concurrency, len(tokens)))

    def one(token: str):
        if time.monotonic() > deadline:
            return None
        return checkout(port, token)

    def first_wave(token: str):
        start.wait()  # the first wave arrives together, like buyers at the opening second
        return one(token)

    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        wave = min(concurrency, len(tokens))
        futures = [pool.submit(first_wave, t) for t in tokens[:wave]]
        futures += [pool.submit(one, t) for t in tokens[wave:]]
        results = [f.result() for f in futures]
    return [r for r in results if r is not None], time.perf_counter() - began, began


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def subprocess_gunicorn(env: dict, port: int, workers: int):
    command = [
        str(Path(PY).parent / "gunicorn"),
        "config.wsgi:application",
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--backlog",
        "2048",
        "--access-logfile",
        "-" if os.environ.get("BENCH_ACCESS_LOG") else "/dev/null",
        "--log-level",
        "warning",
    ]
    # Django logs every 409 ("Conflict") at WARNING; most answers here are 409s: keep them in a file.
    log = Path(env["JISHI_VAR_DIR"]) / "flash-sale-gunicorn.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    print(f"gunicorn log: {log}")
    return subprocess.Popen(command, cwd=ROOT, env=env, stderr=log.open("w"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--buyers", type=int, default=1000, help="buyers, one checkout each (default 1000)")
    parser.add_argument("--flash", type=int, default=200, help="flash units of the deal (default 200)")
    parser.add_argument("--stock", type=int, default=5000, help="the product's stock (default 5000)")
    parser.add_argument("--concurrency", type=int, default=64, help="requests in flight (default 64)")
    parser.add_argument("--time-limit", type=float, default=60, help="seconds to keep firing (default 60)")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1, help="gunicorn sync workers")
    args = parser.parse_args()

    env = bench_env()
    print(f"Preparing data on {env['DATABASE_URL']} and {env['REDIS_URL']} ...", flush=True)
    ensure_database(env)
    manage(env, "migrate", "--noinput")
    run = uuid.uuid4().hex[:8]
    data = shell(env, SETUP.format(run=run, buyers=args.buyers, flash=args.flash, stock=args.stock))
    port = free_port()
    server = subprocess_gunicorn(env, port, args.workers)
    try:
        wait_until_up(f"http://127.0.0.1:{port}")
        print(
            f"\ngunicorn {args.workers} sync workers, DEBUG=false, {os.cpu_count()} CPUs; {args.buyers} buyers, "
            f"flash deal of {args.flash} units (stock {args.stock}, 1 per buyer), {args.concurrency} in flight; "
            f"load average before: {os.getloadavg()[0]:.1f}\n",
            flush=True,
        )
        results, elapsed, began = fire(port, data["tokens"], concurrency=args.concurrency, time_limit=args.time_limit)
    finally:
        server.terminate()
        server.wait(timeout=10)

    after = shell(env, RESULT.format(deal=data["deal"]))
    by_status: dict[int, int] = {}
    for status, *_ in results:
        by_status[status] = by_status.get(status, 0) + 1
    latencies = [seconds * 1000 for _, seconds, _ in results]
    sold_out_after = max((done - began for status, _, done in results if status == 201), default=elapsed)
    orders = by_status.get(201, 0)
    oversold = max(0, after["flash_sold"] - after["flash_quantity"], after["units_in_orders"] - after["flash_quantity"])
    print(f"checkouts sent     {len(results)} of {args.buyers} in {elapsed:.2f} s ({len(results) / elapsed:.0f}/s)")
    print(f"answers            {', '.join(f'{k}: {v}' for k, v in sorted(by_status.items()))}")
    print(f"orders placed      {orders} in the first {sold_out_after:.2f} s: {orders / sold_out_after:.0f} orders/s")
    print(f"latency            p50 {percentile(latencies, 50):.1f} ms, p99 {percentile(latencies, 99):.1f} ms, "
          f"mean {statistics.fmean(latencies):.1f} ms")  # fmt: skip
    print(
        f"flash deal         {after['flash_sold']} of {after['flash_quantity']} counted, "
        f"{after['units_in_orders']} units in {after['orders']} orders, stock left {after['stock_left']}"
    )
    print(f"oversold           {oversold}")
    expected = min(args.flash, args.buyers)
    if oversold or (len(results) == args.buyers and orders != expected):
        sys.exit(f"FAILED: oversold {oversold}, orders {orders} (expected {expected})")


if __name__ == "__main__":
    main()
