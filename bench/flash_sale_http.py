"""Flash-sale checkout benchmark (not a test): many buyers check out one flash deal at once.

    make bench-flash                  # or: .venv/bin/python bench/flash_sale_http.py [--buyers 1000]

What it does, in one run (bench/marketplace_http.py runs the same sale after its pages):
1. uses PostgreSQL and Redis (DATABASE_URL / REDIS_URL; defaults: a `jishi_bench` database on
   127.0.0.1 and Redis db 15) and migrates;
2. creates a live sale with one flash deal (half price, ``--flash`` units, one per buyer) on a
   product with more stock than that, and ``--buyers`` users with API tokens, each with one of
   the product in their cart (marketplace/demo/sales.py: ``bench_flash_sale``);
3. starts gunicorn (sync workers, DEBUG=false) on a loopback port, as in deployment, warms it
   (3 s of ``/ping``, then the checkouts of a warm-up sale: ``--warm-buyers`` buyers of another
   product's flash deal of half as many units, fired as in 4., so every worker has placed orders
   and answered "sold out" before the measured sale, as on a server that has been up on sale
   day) and measures the minimal view (``/ping``) on it with wrk for the ratios;
4. fires every buyer's ``POST /api/v1/checkout/`` (with an Idempotency-Key) from ``--concurrency``
   threads at once, stopping new requests after ``--time-limit`` seconds;
5. prints this Python client's orders (201) per second until the last order (the target's
   figure), and its "sold out" answers (409) with their p50/p99 timed from send (what the 800
   late buyers wait behind the orders queued ahead of them). Both rates are partly the
   client's: its thread pool costs the machine ~0.25 ms of CPU per request (wrk ~0.05 ms), on
   the two cores the server runs on, and on a loaded machine it is starved of them;
6. races the same sale again on a second deal (its own ``--buyers`` buyers), driven by wrk
   (:func:`wrk_race`): every buyer's checkout once, ``--concurrency`` connections, timed from the
   first checkout sent to the last order answered: the orders/s with the client the ``/ping``
   they are compared with was measured with, printed beside the target's figure (the Python
   client's, 5.), which stays the verdict's;
7. then measures the sold-out answers apart, with wrk on the same server (``--sold-out-seconds``):
   a Lua script sends the same checkout as the client above (token, JSON ``{}``, a fresh UUID
   Idempotency-Key per request), rotating through the buyers of 4. who got no order, so every
   request is a real buyer's checkout the server must refuse with 409; any other answer is an
   error. Prints req/s, wrk's p50/p99 and the ratio to /ping measured by wrk just before it;
8. prints the 5xx (every phase) and the number oversold, read from PostgreSQL after the phases:
   units counted or ordered past either deal's flash cap (must be 0).

Issue 14's targets: orders/s >= 0.1x and sold-out answers/s >= 0.5x the /ping rate of the same
run, sold-out p99 <= 100 ms, 0 oversold, 0 5xx.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
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


#: Buyers of the warm-up sale (:func:`flash_warm`), by default.
WARM_BUYERS = 100


def flash_prepare(env: dict, *, buyers: int, flash: int, stock: int = 5000, warm_buyers: int = WARM_BUYERS) -> dict:
    """A fresh flash deal with ``buyers`` buyers (see marketplace/demo/sales.py), and under
    ``warm`` another product's deal of ``warm_buyers // 2`` units for ``warm_buyers`` buyers (the
    warm-up sale of :func:`flash_warm`; none when 0)."""
    warm = None
    if warm_buyers:
        run = uuid.uuid4().hex[:8]
        warm = shell_json(env, SETUP.format(run=run, buyers=warm_buyers, flash=warm_buyers // 2, stock=stock))
    run = uuid.uuid4().hex[:8]
    data = shell_json(env, SETUP.format(run=run, buyers=buyers, flash=flash, stock=stock))
    # the same sale again, for the race driven by wrk (:func:`wrk_race`)
    run = uuid.uuid4().hex[:8]
    again = shell_json(env, SETUP.format(run=run, buyers=buyers, flash=flash, stock=stock))
    return {**data, "buyers": buyers, "flash": flash, "warm": warm, "wrk_race": again}


def flash_warm(port: int, data: dict, *, concurrency: int) -> None:
    """Fire the warm-up sale of :func:`flash_prepare` at the server (its buyers' checkouts, as the
    measured sale's): a fresh worker's first checkout imports the checkout's modules, compiles its
    queries and prepares them on its database connection (~270 ms of CPU in-process, against
    ~10 ms for the next), which the measured sale would otherwise pay 5 times over in its 200
    orders; /ping is measured warm too."""
    if not data.get("warm"):
        return
    results, elapsed, _began, _ordered = fire(port, data["warm"]["tokens"], concurrency=concurrency, time_limit=60)
    by_status: dict[int, int] = {}
    for status, *_ in results:
        by_status[status] = by_status.get(status, 0) + 1
    print(
        f"warm-up sale       {len(results)} checkouts of another deal in {elapsed:.2f} s: "
        f"{', '.join(f'{k}: {v}' for k, v in sorted(by_status.items()))}",
        flush=True,
    )


#: The checkout every buyer sends (the Python client below and the wrk script alike).
CHECKOUT_PATH, CHECKOUT_BODY = "/api/v1/checkout/", "{}"

#: Lua shared by the wrk scripts below: ``checkout(token)``, the request :func:`checkout` sends
#: (the token, JSON ``{}``, a fresh random UUID as its Idempotency-Key).
WRK_CHECKOUT = """
local function hex(k)
  local t = {}
  for i = 1, k do t[i] = string.format("%%x", math.random(0, 15)) end
  return table.concat(t)
end
local function checkout(token)
  local key = hex(8) .. "-" .. hex(4) .. "-4" .. hex(3) .. "-" .. string.format("%%x", math.random(8, 11))
    .. hex(3) .. "-" .. hex(12)
  return wrk.format("POST", %(path)s, {
    ["Authorization"] = "Token " .. token,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = key,
  }, %(body)s)
end
"""

#: wrk script for the sold-out phase: each request is the checkout of the next of ``tokens``
#: (threads interleave), with a fresh random UUID as its Idempotency-Key as :func:`checkout`
#: sends; the answers' statuses are counted per thread and printed by ``done`` as
#: ``status CODE: COUNT`` lines.
WRK_SOLD_OUT = (
    WRK_CHECKOUT
    + """
local tokens = {%(tokens)s}
local threads, counter, all = %(threads)d, 0, {}
function setup(thread)
  thread:set("id", counter); counter = counter + 1; table.insert(all, thread)
end
function init(args)
  n, statuses = id, {}
  math.randomseed(os.time() + 7919 * id)
end
function request()
  n = n + threads
  return checkout(tokens[(n %% #tokens) + 1])
end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
function done(summary, latency, requests)
  local totals = {}
  for _, thread in ipairs(all) do
    for code, count in pairs(thread:get("statuses")) do totals[code] = (totals[code] or 0) + count end
  end
  for code, count in pairs(totals) do io.write(string.format("status %%d: %%d\\n", code, count)) end
end
"""
)


#: wrk script for the race driven by wrk (:func:`wrk_race`): each buyer's checkout once, in
#: ``tokens`` order (threads interleave), as :data:`WRK_SOLD_OUT` sends it. A thread that has
#: sent its share sends ``/ping`` until its share is answered. Each thread notes when it sent its
#: first checkout and when its last 201 came back (LuaJIT's FFI: CLOCK_MONOTONIC, one clock for
#: all threads) and, once its share is answered, prints ``race first F last L orders N`` and its
#: answers (``CODE:COUNT`` pairs) on one line and stops (wrk itself would wait out ``-d``).
WRK_RACE = (
    WRK_CHECKOUT
    + """
local ffi = require("ffi")
ffi.cdef[[ typedef struct { long tv_sec; long tv_nsec; } jishi_timespec; int clock_gettime(int, jishi_timespec *); ]]
local clock = ffi.new("jishi_timespec")
local function now()
  ffi.C.clock_gettime(1, clock)
  return tonumber(clock.tv_sec) + tonumber(clock.tv_nsec) * 1e-9
end
local tokens = {%(tokens)s}
local threads, counter = %(threads)d, 0
function setup(thread)
  thread:set("id", counter); counter = counter + 1
end
function init(args)
  n, answered, orders, first, last, statuses, share = id - threads, 0, 0, 0, 0, {}, 0
  for i = id + 1, #tokens, threads do share = share + 1 end
  math.randomseed(os.time() + 7919 * id)
end
function request()
  -- wrk calls the first thread's request() once before the run to count pipelined requests,
  -- and never sends what it returns: that call must not use a buyer
  if id == 0 and not verified then verified = true; return wrk.format("GET", "/ping") end
  n = n + threads
  if n >= #tokens then return wrk.format("GET", "/ping") end
  if first == 0 then first = now() end
  return checkout(tokens[n + 1])
end
function response(status, headers, body)
  if status ~= 200 then
    answered = answered + 1
    statuses[status] = (statuses[status] or 0) + 1
    if status == 201 then orders = orders + 1; last = now() end
  end
  if answered >= share and not reported then
    reported = true
    local line = string.format("race first %%.6f last %%.6f orders %%d", first, last, orders)
    for code, count in pairs(statuses) do line = line .. string.format(" %%d:%%d", code, count) end
    io.write(line .. "\\n"); io.flush()
    wrk.thread:stop()
  end
end
"""
)


def wrk_race(port: int, tokens: list[str], *, connections: int, threads: int = 2, time_limit: int = 60) -> dict:
    """The race of :func:`fire` driven by wrk instead of this Python client (:data:`WRK_RACE`):
    every buyer's checkout once, ``connections`` in flight. wrk costs the machine about a fifth
    of what the thread pool does per request (~50 against ~240 us of CPU per ``/ping`` here), so
    on two cores shared with the server its orders/s is the server's, as the ``/ping`` it is
    compared with is. Returns ``orders``, ``span`` (seconds from the first checkout sent to the
    last order answered), ``statuses`` (answers per HTTP status) and ``complete`` (every thread
    had its share answered within ``time_limit`` seconds)."""
    lua = WRK_RACE % {
        "tokens": ", ".join(json.dumps(t) for t in tokens),
        "threads": threads,
        "path": json.dumps(CHECKOUT_PATH),
        "body": json.dumps(CHECKOUT_BODY),
    }
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(lua)
        script.flush()
        command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{time_limit}s", "--timeout", "10s"]
        wrk = subprocess.Popen(
            [*command, "-s", script.name, f"http://127.0.0.1:{port}{CHECKOUT_PATH}"], stdout=subprocess.PIPE, text=True
        )
        reports = []
        for line in wrk.stdout:  # wrk prints its own summary only after -d: stop it once all reported
            if line.startswith("race "):
                reports.append(line.split())
                if len(reports) == threads:
                    break
        wrk.terminate()
        wrk.wait()
    statuses: dict[int, int] = {}
    for report in reports:
        for pair in report[7:]:
            code, count = pair.split(":")
            statuses[int(code)] = statuses.get(int(code), 0) + int(count)
    firsts = [float(r[2]) for r in reports if float(r[2]) > 0]
    lasts = [float(r[4]) for r in reports]
    orders = sum(int(r[6]) for r in reports)
    return {
        "orders": orders,
        "span": max(lasts) - min(firsts) if orders and firsts else 0.0,
        "statuses": statuses,
        "complete": len(reports) == threads,
    }


def sold_out_wrk(port: int, tokens: list[str], *, seconds: int, connections: int, threads: int = 2) -> dict:
    """wrk's figures for ``seconds`` of checkouts by ``tokens`` (buyers the server must refuse),
    with ``statuses``: answers per HTTP status."""
    lua = WRK_SOLD_OUT % {
        "tokens": ", ".join(json.dumps(t) for t in tokens),
        "threads": threads,
        "path": json.dumps(CHECKOUT_PATH),
        "body": json.dumps(CHECKOUT_BODY),
    }
    result = run_wrk(f"http://127.0.0.1:{port}{CHECKOUT_PATH}", seconds, connections, threads, lua=lua)
    result["statuses"] = {int(c): int(n) for c, n in re.findall(r"^status (\d+): (\d+)$", result["out"], re.M)}
    return result


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
        connection.request("POST", CHECKOUT_PATH, body=CHECKOUT_BODY, headers=headers)
        response = connection.getresponse()
        response.read()
        finished = time.perf_counter()
        return response.status, finished - started, finished
    except OSError:
        finished = time.perf_counter()
        return 0, finished - started, finished
    finally:
        connection.close()


def fire(port: int, tokens: list[str], *, concurrency: int, time_limit: float) -> tuple[list, float, float, set]:
    """All checkouts from ``concurrency`` threads; tokens not started by ``time_limit`` are skipped.
    Returns the results, the seconds they took in all, when (perf_counter) firing began, and the
    tokens whose checkout placed an order (201)."""
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
    ordered = {token for token, result in zip(tokens, results, strict=True) if result and result[0] == 201}
    return [r for r in results if r is not None], time.perf_counter() - began, began, ordered


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def flash_run(
    env: dict,
    port: int,
    data: dict,
    *,
    concurrency: int,
    ping_rps: float,
    time_limit: float = 60,
    sold_out_seconds: int = 10,
) -> bool:
    """Fire the sale prepared by :func:`flash_prepare` at the server on ``port``, then
    ``sold_out_seconds`` of wrk of the buyers left without an order, and print the figures next
    to ``ping_rps`` (orders) and a /ping measured by wrk just before the sold-out phase. True if
    every target was met."""
    print(
        f"\nflash sale: {data['buyers']} buyers, a deal of {data['flash']} units (1 per buyer), "
        f"{concurrency} in flight; load average before: {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    results, elapsed, began, ordered = fire(port, data["tokens"], concurrency=concurrency, time_limit=time_limit)
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
    expected = min(data["flash"], data["buyers"])

    def verdict(ok: bool) -> str:
        return "ok" if ok else "MISSED"

    orders_ok = orders_rps >= ORDERS_TARGET * ping_rps
    print(f"checkouts sent     {len(results)} of {data['buyers']} in {elapsed:.2f} s ({len(results) / elapsed:.0f}/s)")
    print(f"answers            {', '.join(f'{k}: {v}' for k, v in sorted(by_status.items()))}")
    print(
        f"orders, Python     {len(orders)} in {orders_span:.2f} s: {orders_rps:.0f}/s = "
        f"{orders_rps / ping_rps:.3f}x /ping (>= {ORDERS_TARGET}x {verdict(orders_ok)}); "
        f"p50 {percentile(order_ms, 50):.1f} ms, p99 {percentile(order_ms, 99):.1f} ms"
    )
    print(
        f"sold-out, Python client (timed from send, queued behind orders; client-bound, not the target's "
        f"measure): {len(sold_out)}: {sold_out_rps:.0f}/s = {sold_out_rps / ping_rps:.2f}x /ping; "
        f"p50 {so_p50:.1f} ms, p99 {so_p99:.1f} ms",
        flush=True,
    )

    # The same race again on the second deal, driven by wrk: the server's orders/s, measured with
    # the client the /ping it is compared with was measured with.
    race = wrk_race(port, data["wrk_race"]["tokens"], connections=concurrency)
    race_rps = race["orders"] / race["span"] if race["orders"] and race["span"] > 0 else 0.0
    race_5xx = sum(n for code, n in race["statuses"].items() if code >= 500)
    race_ok = race["complete"] and race["orders"] == expected and not race_5xx
    print(
        f"orders (wrk race)  {race['orders']} in {race['span']:.2f} s: {race_rps:.0f}/s = "
        f"{race_rps / ping_rps:.3f}x /ping (for comparison; the Python client's is the verdict's); answers "
        f"{', '.join(f'{k}: {v}' for k, v in sorted(race['statuses'].items()))}"
        f"{'' if race['complete'] else ' (INCOMPLETE: some answers never came)'}",
        flush=True,
    )

    # The sold-out phase apart, with wrk: every request a remaining buyer's checkout.
    remaining = [token for token in data["tokens"] if token not in ordered]
    wrk_errors, wrk_5xx, sold_ok = 0, 0, False
    if remaining and sold_out_seconds > 0:
        ping = run_wrk(f"http://127.0.0.1:{port}/ping", sold_out_seconds, concurrency, 2)
        refused = sold_out_wrk(port, remaining, seconds=sold_out_seconds, connections=concurrency)
        statuses = refused["statuses"]
        wrk_5xx = sum(n for code, n in statuses.items() if code >= 500)
        wrk_errors = sum(n for code, n in statuses.items() if code != 409)
        socket = refused["errors"].group(1).strip() if refused["errors"] else "none"
        ratio = refused["rps"] / ping["rps"]
        sold_ok = (
            ratio >= SOLD_OUT_TARGET and refused["p99"] <= SOLD_OUT_P99_MS and not wrk_errors and not refused["errors"]
        )
        print(
            f"sold-out, wrk ({sold_out_seconds} s, -c{concurrency}, {len(remaining)} buyers without an order "
            f"in turn): /ping just before {ping['rps']:.0f} req/s (p50 {ping['p50']:.2f} ms, p99 {ping['p99']:.2f} ms)"
        )
        print(
            f"sold-out answers   {refused['rps']:.0f}/s = {ratio:.2f}x /ping (>= {SOLD_OUT_TARGET}x; "
            f"{refused['rps'] / ping_rps:.2f}x the first /ping); p50 {refused['p50']:.2f} ms, "
            f"p99 {refused['p99']:.2f} ms (<= {SOLD_OUT_P99_MS} ms) {verdict(sold_ok)}"
        )
        print(
            f"                   {refused['requests']} requests, answers "
            f"{', '.join(f'{k}: {v}' for k, v in sorted(statuses.items()))}; not 409: {wrk_errors}; "
            f"socket errors: {socket}"
        )
    after = shell_json(env, RESULT.format(deal=data["deal"]))
    raced = shell_json(env, RESULT.format(deal=data["wrk_race"]["deal"]))
    oversold = sum(
        max(0, deal["flash_sold"] - deal["flash_quantity"], deal["units_in_orders"] - deal["flash_quantity"])
        for deal in (after, raced)
    )
    print(
        f"flash deal         {after['flash_sold']} of {after['flash_quantity']} counted, "
        f"{after['units_in_orders']} units in {after['orders']} orders, stock left {after['stock_left']} "
        f"(PostgreSQL, after both phases)"
    )
    print(f"oversold           {oversold}")
    print(
        f"flash deal, wrk    {raced['flash_sold']} of {raced['flash_quantity']} counted, "
        f"{raced['units_in_orders']} units in {raced['orders']} orders (the wrk race's deal)"
    )
    print(f"5xx / no answer    {errors} (Python client), {wrk_5xx + race_5xx} 5xx (wrk)")
    print(f"load average after {os.getloadavg()[0]:.2f}")
    complete = len(results) == data["buyers"]
    return (
        not oversold
        and not errors
        and not wrk_errors
        and (not complete or len(orders) == expected)
        and orders_ok
        and race_ok
        and sold_ok
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--buyers", type=int, default=1000, help="buyers, one checkout each (default 1000)")
    parser.add_argument("--flash", type=int, default=200, help="flash units of the deal (default 200)")
    parser.add_argument("--stock", type=int, default=5000, help="the product's stock (default 5000)")
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight (default 32)")
    parser.add_argument("--time-limit", type=float, default=60, help="seconds to keep firing (default 60)")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1, help="gunicorn sync workers")
    parser.add_argument(
        "--warm-buyers",
        type=int,
        default=WARM_BUYERS,
        help=f"buyers of the warm-up sale fired before /ping is measured (default {WARM_BUYERS}; 0: none)",
    )
    parser.add_argument("--ping-seconds", type=int, default=5, help="seconds of wrk on /ping (default 5)")
    parser.add_argument(
        "--sold-out-seconds", type=int, default=10, help="seconds of wrk on the sold-out checkouts (default 10)"
    )
    args = parser.parse_args()

    env = bench_env()
    print(f"Preparing data on {env['DATABASE_URL']} and {env['REDIS_URL']} ...", flush=True)
    ensure_database(env)
    manage(env, "migrate", "--noinput")
    data = flash_prepare(env, buyers=args.buyers, flash=args.flash, stock=args.stock, warm_buyers=args.warm_buyers)
    port = free_port()
    # Django logs every 409 ("Conflict") at WARNING; most answers here are 409s: keep them in a file.
    log = Path(env["JISHI_VAR_DIR"]) / "flash-sale-gunicorn.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    print(f"gunicorn log: {log}")
    server = start_gunicorn(env, port, args.workers, stderr=log.open("w"))
    try:
        wait_until_up(f"http://127.0.0.1:{port}")
        # every worker's first requests import and build what later ones reuse: not the floor
        run_wrk(f"http://127.0.0.1:{port}/ping", 3, args.concurrency, 2)
        flash_warm(port, data, concurrency=args.concurrency)
        ping = run_wrk(f"http://127.0.0.1:{port}/ping", args.ping_seconds, args.concurrency, 2)
        print(
            f"\ngunicorn {args.workers} sync workers, DEBUG=false, {os.cpu_count()} CPUs; "
            f"/ping {ping['rps']:.0f} req/s (wrk -c{args.concurrency})"
        )
        ok = flash_run(
            env,
            port,
            data,
            concurrency=args.concurrency,
            ping_rps=ping["rps"],
            time_limit=args.time_limit,
            sold_out_seconds=args.sold_out_seconds,
        )
    finally:
        stop(server)
    if not ok:
        sys.exit("SOME TARGETS MISSED")


if __name__ == "__main__":
    main()
