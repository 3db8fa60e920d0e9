"""Server CPU per request (not a test): robust A/B figures on a busy machine.

    source env.sh && .venv/bin/python bench/cpu_per_request.py [--seconds 8] [--connections 4]

wrk's requests per second on this 2-core machine move with whatever else runs; the CPU time a
gunicorn worker spends per request moves much less. This starts gunicorn with ONE sync worker
(``DEBUG=false``, the database and Redis of ``DATABASE_URL`` / ``REDIS_URL``), prepares a flash
deal that is sold out (``marketplace.demo.sales.bench_flash_sale``: 10 units bought, 200 buyers
left), then drives each case with wrk for ``--seconds`` and prints the worker's CPU time per
request (user + system, from /proc) and its ratio to ``/ping``'s: the upper bound of the
throughput ratio that ``bench/flash_sale_http.py`` measures with wrk (Redis's and the
client's CPU come on top; the CPU of the PostgreSQL backends of the bench's database is printed
beside it). Cases: ``/ping`` and the sold-out checkout (a late buyer's token,
JSON ``{}``, a fresh Idempotency-Key per request, every answer a 409); with ``--pages`` also the
product page anonymous and signed in (the demo shopper's session cookie, signed in through the
login form), home, questions and cart signed in, the product list API (20) with the shopper's
token and search with a distinct query per request (``search, distinct``: anonymous, each round
on queries no earlier round asked; the first round of a run after a code change also builds the
per-process frames), on the data ``bench/marketplace_http.py`` or ``bench/signed_in_split.py``
prepared (10,000 products).
``--only`` picks cases by name (comma-separated; ``/ping`` always runs first). ``--orders N``
adds ``order (201)``: N buyers of another flash deal (N units a round, one per buyer) each check
out once, ``--connections`` in flight from this script's Python client (as
``bench/flash_sale_http.py`` fires them): the worker's and PostgreSQL's CPU per order placed.
"""

import argparse
import os
import re
import subprocess
import sys
import urllib.parse
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from flash_sale_http import checkout, fire, sold_out_wrk  # noqa: E402
from marketplace_http import (  # noqa: E402
    SHOPPER,
    bench_env,
    free_port,
    manage,
    run_wrk,
    shell_json,
    sign_in,
    start_gunicorn,
    stop,
    wait_until_up,
)

SETUP = """
import json
from marketplace.demo.sales import bench_flash_sale
print(json.dumps(bench_flash_sale(run={run!r}, buyers={buyers}, flash_quantity={flash}, stock={stock})))
"""

PAGES = """
import json
from django.contrib.auth import get_user_model
from django.urls import reverse
from rest_framework.authtoken.models import Token
from marketplace.demo.bench import bench_catalogue, bench_search_queries
token, _ = Token.objects.get_or_create(user=get_user_model().objects.get(username="wei"))
print(json.dumps({"token": token.key, "urls": bench_catalogue(reverse=reverse), "login": reverse("login"),
                  "home": reverse("home"), "questions": reverse("community:questions"),
                  "cart": reverse("marketplace:cart"),
                  "queries": bench_search_queries(count=13000)}))
"""


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def redis_cpu_seconds(env: dict) -> float | None:
    """The Redis server's CPU seconds (``INFO cpu``; shared with everything else using it), or None."""
    try:
        out = subprocess.run(
            ["redis-cli", "-u", env["REDIS_URL"], "info", "cpu"], capture_output=True, text=True, timeout=5
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    values = dict(line.split(":", 1) for line in out.split() if ":" in line)
    try:
        return float(values["used_cpu_user"]) + float(values["used_cpu_sys"])
    except (KeyError, ValueError):
        return None


def postgres_backends(env: dict) -> list[int]:
    """The pids of the PostgreSQL backends connected to the bench's database (the worker's), or
    [] when they cannot be read (another host, no ``psql``)."""
    try:
        out = subprocess.run(
            [
                "psql",
                env["DATABASE_URL"],
                "-Atc",
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
            ],
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [int(pid) for pid in out.split() if Path(f"/proc/{pid}").exists()]


def postgres_cpu_seconds(pids: list[int]) -> float | None:
    try:
        return sum(cpu_seconds(pid) for pid in pids) if pids else None
    except OSError:
        return None


def worker_pid(master: int) -> int:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    if len(children) != 1:
        raise SystemExit(f"expected one gunicorn worker, found {children}")
    return int(children[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2, help="rounds of every case (default 2)")
    parser.add_argument("--pages", action="store_true", help="also the product page and the product list API")
    parser.add_argument("--only", help="comma-separated case names (default: every case)")
    parser.add_argument(
        "--orders", type=int, default=0, help="orders a round in the case 'order (201)' (default: none)"
    )
    args = parser.parse_args()
    env = bench_env()
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput")
    data = shell_json(env, SETUP.format(run=uuid.uuid4().hex[:8], buyers=210, flash=10, stock=100))
    units = args.orders * args.rounds
    sale = (
        shell_json(env, SETUP.format(run=uuid.uuid4().hex[:8], buyers=units, flash=units, stock=units))
        if units
        else None
    )
    pages = shell_json(env, PAGES) if args.pages else None
    port = free_port()
    server = start_gunicorn(env, port, 1, stderr=(Path(env["JISHI_VAR_DIR"]) / "cpu-gunicorn.log").open("w"))
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(base)
        # the first 10 buyers take the 10 units; the rest are refused, each buyer's first refusal
        # building what later ones read (admission_early's entry)
        statuses = [checkout(port, token)[0] for token in data["tokens"]]
        if statuses != [201] * 10 + [409] * (len(statuses) - 10):
            raise SystemExit(f"unexpected answers while preparing: {statuses}")
        late = data["tokens"][10:]
        worker = worker_pid(server.pid)
        cases = {
            "/ping": lambda: run_wrk(f"{base}/ping", args.seconds, args.connections, 2),
            "sold-out checkout": lambda: sold_out_wrk(port, late, seconds=args.seconds, connections=args.connections),
        }
        if sale:
            buyers = iter(sale["tokens"])

            def orders():
                tokens = [next(buyers) for _ in range(args.orders)]
                results, elapsed, _began, ordered = fire(port, tokens, concurrency=args.connections, time_limit=600)
                statuses: dict[int, int] = {}
                for status, *_ in results:
                    statuses[status] = statuses.get(status, 0) + 1
                return {"requests": len(ordered), "rps": len(ordered) / elapsed, "statuses": statuses}

            cases["order (201)"] = orders
        if pages:
            product = base + pages["urls"]["product page"]
            jar = sign_in(port, pages["login"], *SHOPPER)
            cookie = "Cookie: " + "; ".join(f"{k}={v}" for k, v in jar.items())
            token = f"Authorization: Token {pages['token']}"

            def wrk(url, *headers):
                return lambda: run_wrk(url, args.seconds, args.connections, 2, headers=headers)

            cases["product, anonymous"] = wrk(product)
            cases["product, signed in"] = wrk(product, cookie)
            cases["product API, token"] = wrk(base + pages["urls"]["product list API"], token)
            cases["home, signed in"] = wrk(base + pages["home"], cookie)
            cases["questions, signed in"] = wrk(base + pages["questions"], cookie)
            cases["cart, signed in"] = wrk(base + pages["cart"], cookie)
            # a distinct query per request (anonymous, as bench/marketplace_http.py's row): each
            # round starts further along the list, so it walks queries no earlier round cached
            search = pages["urls"]["search"].split("?")[0]
            queries = [urllib.parse.quote(f"{search}?search={q}", safe="/?=") for q in pages["queries"]]
            offset = {"at": 0}

            def search_wrk():
                result = run_wrk(
                    base + queries[offset["at"]], args.seconds, args.connections, 2, paths=queries[offset["at"] :]
                )
                offset["at"] += result["requests"] + 100
                return result

            cases["search, distinct"] = search_wrk
        if args.only:
            # Case names contain ", ": split on the commas that do not start one.
            wanted = {"/ping", *re.split(r",(?! )", args.only)}
            cases = {name: run for name, run in cases.items() if name in wanted}
        run_wrk(base + "/ping", 2, args.connections, 2)  # warm: a worker's first requests build what later ones reuse
        load = os.getloadavg()[0]
        print(f"gunicorn 1 sync worker, wrk -c{args.connections}, {args.seconds} s per case; load {load:.2f}")
        ping_cpu = None
        backends = postgres_backends(env)
        for _round in range(args.rounds):
            for name, run in cases.items():
                before, redis_before = cpu_seconds(worker), redis_cpu_seconds(env)
                pg_before = postgres_cpu_seconds(backends)
                result = run()
                used = cpu_seconds(worker) - before
                redis_after = redis_cpu_seconds(env)
                pg_after = postgres_cpu_seconds(backends)
                pg_per = (
                    (pg_after - pg_before) / result["requests"] * 1e6
                    if pg_before is not None and pg_after is not None
                    else float("nan")
                )
                per = used / result["requests"] * 1e6
                redis_per = (
                    (redis_after - redis_before) / result["requests"] * 1e6
                    if redis_before is not None and redis_after is not None
                    else float("nan")
                )
                ping_cpu = per if name == "/ping" else ping_cpu
                extra = f"  statuses {result['statuses']}" if "statuses" in result else ""
                if result.get("non2xx"):
                    extra += f"  ({result['non2xx']} non-2xx)"
                print(
                    f"{name:<20} {result['requests']:>7} requests  {result['rps']:7.0f}/s  "
                    f"worker CPU {per:6.0f} us/request  ratio to /ping {ping_cpu / per:4.2f}  "
                    f"Redis server CPU {redis_per:4.0f} us/request  PostgreSQL CPU {pg_per:5.0f} us/request{extra}",
                    flush=True,
                )
        print(f"load after {os.getloadavg()[0]:.2f}")
    finally:
        stop(server)


if __name__ == "__main__":
    main()
