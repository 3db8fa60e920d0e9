"""Flash-sale checkout benchmark (not a test): many buyers check out one flash deal at once.

    make bench-flash                  # or: .venv/bin/python bench/flash_sale_http.py [--buyers 1000]

What it does, in one run (bench/marketplace_http.py runs the same sale after its pages):
1. uses PostgreSQL and Redis (DATABASE_URL / REDIS_URL; defaults: a `jishi_bench` database on
   127.0.0.1 and Redis db 15) and migrates;
2. creates a live sale with one flash deal (half price, ``--flash`` units, one per buyer) on a
   product with more stock than that, and ``--buyers`` users with API tokens, each with one of
   the product in their cart (marketplace/demo/sales.py: ``bench_flash_sale``);
3. starts gunicorn (sync workers, DEBUG=false) on a loopback port, as in deployment, and
   measures the minimal view (``/ping``) on it with wrk for the ratios;
4. fires every buyer's ``POST /api/v1/checkout/`` (with an Idempotency-Key) from ``--concurrency``
   threads at once, stopping new requests after ``--time-limit`` seconds;
5. prints, apart: orders (201) per second until the last order, and the "sold out" answers
   (409) per second with their p50/p99 latency (what the 800 late buyers wait); the 5xx; and the
   number oversold: units counted or ordered past the flash cap (must be 0).

Issue 14's targets: orders/s >= 0.1x and sold-out answers/s >= 0.5x the /ping rate of the same
run, sold-out p99 <= 100 ms, 0 oversold, 0 5xx.
"""

import argparse
import os
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from http.client import HTTPConnection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from marketplace_http import (  # noqa: E402
    bench_env,
    ensure_database,
    free_port,
    manage,
    run_wrk,
    shell_json,
    start_gunicorn,
    stop,
    wait_until_up,
)

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

#: Issue 14's targets, as ratios to the /ping rate of the same run.
ORDERS_TARGET, SOLD_OUT_TARGET, SOLD_OUT_P99_MS = 0.1, 0.5, 100


def flash_prepare(env: dict, *, buyers: int, flash: int, stock: int = 5000) -> dict:
    """A fresh flash deal with ``buyers`` buyers (see marketplace/demo/sales.py)."""
    run = uuid.uuid4().hex[:8]
    data = shell_json(env, SETUP.format(run=run, buyers=buyers, flash=flash, stock=stock))
    return {**data, "buyers": buyers, "flash": flash}


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


def flash_run(env: dict, port: int, data: dict, *, concurrency: int, ping_rps: float, time_limit: float = 60) -> bool:
    """Fire the sale prepared by :func:`flash_prepare` at the server on ``port`` and print its
    figures next to ``ping_rps``. True if every target was met."""
    print(
        f"\nflash sale: {data['buyers']} buyers, a deal of {data['flash']} units (1 per buyer), "
        f"{concurrency} in flight; load average before: {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    results, elapsed, began = fire(port, data["tokens"], concurrency=concurrency, time_limit=time_limit)
    after = shell_json(env, RESULT.format(deal=data["deal"]))
    by_status: dict[int, int] = {}
    for status, *_ in results:
        by_status[status] = by_status.get(status, 0) + 1
    orders = [(seconds, done) for status, seconds, done in results if status == 201]
    sold_out = [(seconds, done) for status, seconds, done in results if status == 409]
    errors = sum(count for status, count in by_status.items() if status >= 500 or status == 0)
    orders_span = max((done - began for _, done in orders), default=elapsed)
    orders_rps = len(orders) / orders_span if orders else 0.0
    if sold_out:
        first = min(done - seconds for seconds, done in sold_out)
        sold_out_span = max(done for _, done in sold_out) - first
        sold_out_rps = len(sold_out) / sold_out_span if sold_out_span > 0 else 0.0
        sold_ms = [seconds * 1000 for seconds, _ in sold_out]
        so_p50, so_p99 = percentile(sold_ms, 50), percentile(sold_ms, 99)
    else:
        sold_out_rps, so_p50, so_p99 = 0.0, 0.0, 0.0
    order_ms = [seconds * 1000 for seconds, _ in orders] or [0.0]
    oversold = max(0, after["flash_sold"] - after["flash_quantity"], after["units_in_orders"] - after["flash_quantity"])
    expected = min(data["flash"], data["buyers"])

    def verdict(ok: bool) -> str:
        return "ok" if ok else "MISSED"

    orders_ok = orders_rps >= ORDERS_TARGET * ping_rps
    sold_ok = sold_out_rps >= SOLD_OUT_TARGET * ping_rps and so_p99 <= SOLD_OUT_P99_MS
    print(f"checkouts sent     {len(results)} of {data['buyers']} in {elapsed:.2f} s ({len(results) / elapsed:.0f}/s)")
    print(f"answers            {', '.join(f'{k}: {v}' for k, v in sorted(by_status.items()))}")
    print(
        f"orders             {len(orders)} in {orders_span:.2f} s: {orders_rps:.0f}/s = "
        f"{orders_rps / ping_rps:.3f}x /ping "
        f"(>= {ORDERS_TARGET}x {verdict(orders_ok)}); p50 {percentile(order_ms, 50):.1f} ms, "
        f"p99 {percentile(order_ms, 99):.1f} ms"
    )
    print(
        f"sold-out answers   {len(sold_out)}: {sold_out_rps:.0f}/s = {sold_out_rps / ping_rps:.2f}x /ping "
        f"(>= {SOLD_OUT_TARGET}x); p50 {so_p50:.1f} ms, p99 {so_p99:.1f} ms (<= {SOLD_OUT_P99_MS} ms) "
        f"{verdict(sold_ok)}"
    )
    print(
        f"flash deal         {after['flash_sold']} of {after['flash_quantity']} counted, "
        f"{after['units_in_orders']} units in {after['orders']} orders, stock left {after['stock_left']}"
    )
    print(f"oversold           {oversold}")
    print(f"5xx / no answer    {errors}")
    print(f"load average after {os.getloadavg()[0]:.2f}")
    complete = len(results) == data["buyers"]
    return not oversold and not errors and (not complete or len(orders) == expected) and orders_ok and sold_ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--buyers", type=int, default=1000, help="buyers, one checkout each (default 1000)")
    parser.add_argument("--flash", type=int, default=200, help="flash units of the deal (default 200)")
    parser.add_argument("--stock", type=int, default=5000, help="the product's stock (default 5000)")
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight (default 32)")
    parser.add_argument("--time-limit", type=float, default=60, help="seconds to keep firing (default 60)")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1, help="gunicorn sync workers")
    parser.add_argument("--ping-seconds", type=int, default=5, help="seconds of wrk on /ping (default 5)")
    args = parser.parse_args()

    env = bench_env()
    print(f"Preparing data on {env['DATABASE_URL']} and {env['REDIS_URL']} ...", flush=True)
    ensure_database(env)
    manage(env, "migrate", "--noinput")
    data = flash_prepare(env, buyers=args.buyers, flash=args.flash, stock=args.stock)
    port = free_port()
    # Django logs every 409 ("Conflict") at WARNING; most answers here are 409s: keep them in a file.
    log = Path(env["JISHI_VAR_DIR"]) / "flash-sale-gunicorn.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    print(f"gunicorn log: {log}")
    server = start_gunicorn(env, port, args.workers, stderr=log.open("w"))
    try:
        wait_until_up(f"http://127.0.0.1:{port}")
        ping = run_wrk(f"http://127.0.0.1:{port}/ping", args.ping_seconds, args.concurrency, 2)
        print(
            f"\ngunicorn {args.workers} sync workers, DEBUG=false, {os.cpu_count()} CPUs; "
            f"/ping {ping['rps']:.0f} req/s (wrk -c{args.concurrency})"
        )
        ok = flash_run(env, port, data, concurrency=args.concurrency, ping_rps=ping["rps"], time_limit=args.time_limit)
    finally:
        stop(server)
    if not ok:
        sys.exit("SOME TARGETS MISSED")


if __name__ == "__main__":
    main()
