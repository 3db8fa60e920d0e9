"""Instructions per order in the Django process (not a test): a repeatable A/B on a busy machine.

    source env.sh && .venv/bin/python bench/flash_callgrind.py [--orders 60]

CPU time per request moves with the load of the machine (other processes evict the caches); the
instructions a process executes do not. This prepares a flash deal (``bench_flash_sale``: a unit
for each buyer, a token and a default address each) in a process of its own, then runs
``valgrind --tool=callgrind`` twice on a process that checks out through Django's test client as
``bench/flash_inprocess.py`` does (``POST /api/v1/checkout/`` with a token and an
Idempotency-Key, every answer a 201): once with one warm-up order only, once with the warm-up
and ``--orders`` more; the difference, divided by ``--orders``, is the instructions of one order
(the import, setup and warm-up cancel out). Also prints the SQL statements of one order.
It measures the code of the directory it is run from (``DATABASE_URL`` / ``REDIS_URL``: the
worktree's). PostgreSQL's and Redis's own work is not counted: see ``flash_inprocess.py`` (the
backend's CPU) and ``cpu_per_request.py --orders``.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def _django():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", "bench-flash-callgrind-not-secret-" + "x" * 40)
    import django

    django.setup()


def prepare(count: int) -> None:
    _django()
    from marketplace.demo.sales import bench_flash_sale

    data = bench_flash_sale(run=uuid.uuid4().hex[:8], buyers=count, flash_quantity=count, stock=count)
    print(json.dumps(data["tokens"]))


def run(tokens: list[str], *, show_sql: bool) -> None:
    _django()
    import logging

    logging.getLogger("django.request").setLevel(logging.ERROR)
    from django.db import connection
    from django.test import Client

    from bench.flash_inprocess import token_checkout

    client = Client()

    def checkout(token: str) -> None:
        response = token_checkout(client, token)
        if response.status_code != 201:
            raise SystemExit(f"{response.status_code} {response.content[:300]!r}")

    checkout(tokens[0])  # warm-up: compiled and prepared statements, the gate's counters
    if show_sql:
        shown = []

        def record(execute, sql, params, many, context):
            shown.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(record):
            checkout(tokens[1])
        print(json.dumps(shown))
        return
    for token in tokens[1:]:
        checkout(token)


def instructions(tokens: list[str], out: Path) -> int:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(tokens, f)
    subprocess.run(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", PY, __file__, "--run", f.name],
        check=True,
        capture_output=True,
    )
    text = out.read_text(errors="replace")
    return int(re.search(r"^(?:summary|totals): (\d+)", text, re.M).group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=60, help="measured orders (default 60)")
    parser.add_argument("--rounds", type=int, default=1, help="measures, each on fresh buyers (default 1)")
    parser.add_argument("--run", help=argparse.SUPPRESS)
    parser.add_argument("--prepare", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--sql", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        return prepare(args.prepare)
    if args.run:
        return run(json.loads(Path(args.run).read_text()), show_sql=args.sql)
    per_round = 2 + args.orders + 2
    prepared = subprocess.run(
        [PY, __file__, "--prepare", str(per_round * args.rounds)], check=True, capture_output=True, text=True
    )
    tokens = json.loads(prepared.stdout.strip().splitlines()[-1])
    print(f"load average {os.getloadavg()[0]:.2f}", flush=True)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(tokens[-2:], f)
    sql = subprocess.run([PY, __file__, "--run", f.name, "--sql"], check=True, capture_output=True, text=True)
    statements = json.loads(sql.stdout.strip().splitlines()[-1])
    print(f"{len(statements)} SQL statements per order:")
    for statement in statements:
        print(f"  {statement[:110]}")
    with tempfile.TemporaryDirectory() as scratch:
        for r in range(args.rounds):
            mine = tokens[r * per_round : (r + 1) * per_round]
            base = instructions(mine[:1], Path(scratch) / "base.out")
            full = instructions(mine[1 : 2 + args.orders], Path(scratch) / "full.out")
            print(f"instructions per order: {(full - base) / args.orders:,.0f}", flush=True)
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
