"""Marketplace HTTP benchmark (not a test): serve Jishi the way it is deployed and measure it.

    make bench-marketplace            # or: .venv/bin/python bench/marketplace_http.py [--duration 10]

What it does, in one run:
1. uses PostgreSQL and Redis (DATABASE_URL / REDIS_URL; defaults: a `jishi_bench` database on
   127.0.0.1 and Redis db 15), migrates, loads the demo data and tops the catalogue up to
   a few hundred products, runs collectstatic;
2. starts gunicorn (sync workers, DEBUG=false) on a loopback port, as in deployment;
3. drives each URL with wrk (Debian package `wrk`) over loopback: first a minimal Django view
   (``/ping``: a plain HttpResponse on the same server), then the anonymous product page, the
   product list API (20 items), search, and a shop page;
4. prints requests/s, p50 and p99 latency and the ratio to the minimal view for each.

Targets (2-core machine): product page >= 0.5x the minimal view, product list API >= 0.25x,
nothing under 0.1x. Figures and the command are recorded in docs/performance.md.
"""

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable

TARGETS = {"product page": 0.5, "product list API": 0.25}
FLOOR = 0.1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_env() -> dict:
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jishi_bench")
    env.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")
    env.update(
        DEBUG="false",
        SECRET_KEY="bench-" + "k" * 60,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",
        JISHI_VAR_DIR=str(ROOT / "var" / "bench"),
        LOG_LEVEL="WARNING",
        # wrk is a single client IP: lift the per-IP limit so the throttle is measured, not hit.
        API_THROTTLE_ANON="100000000/minute",
    )
    env.pop("JISHI_ASGI", None)
    return env


def ensure_database(env: dict) -> None:
    url = env["DATABASE_URL"]
    if url.startswith("postgres"):
        name = url.rsplit("/", 1)[-1]
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], capture_output=True)


def manage(env: dict, *args: str) -> str:
    out = subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}")
    return out.stdout


SETUP = r"""
import json
from django.urls import reverse
from marketplace.demo.bench import bench_catalogue
print(json.dumps(bench_catalogue(reverse=reverse)))
"""


def prepare(env: dict) -> dict:
    import json

    ensure_database(env)
    manage(env, "migrate", "--noinput")
    manage(env, "seed_demo", "--verbosity", "0")  # idempotent
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    urls = json.loads(manage(env, "shell", "-c", SETUP).strip().splitlines()[-1])
    return urls


def wait_until_up(base: str, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(base + "/ping", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    sys.exit("gunicorn did not come up")


def to_ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def run_wrk(url: str, duration: int, connections: int, threads: int) -> dict:
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = to_ms(re.search(r"\s50%\s+(\S+)", out).group(1))
    p99 = to_ms(re.search(r"\s99%\s+(\S+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {"rps": rps, "p50": p50, "p99": p99, "non2xx": int(non2xx.group(1)) if non2xx else 0, "errors": errors}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=10, help="seconds per URL (default 10)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")

    env = bench_env()
    print(f"Preparing data on {env['DATABASE_URL']} and {env['REDIS_URL']} ...", flush=True)
    urls = prepare(env)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [
            str(Path(PY).parent / "gunicorn"),
            "config.wsgi:application",
            "--workers",
            str(args.workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--access-logfile",
            "-" if os.environ.get("BENCH_ACCESS_LOG") else "/dev/null",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        wait_until_up(base)
        cases = [("minimal view", "/ping"), *urls.items()]
        for _, path in cases:  # warm caches and connections
            urllib.request.urlopen(base + path, timeout=10).read()
        print(
            f"\ngunicorn {args.workers} sync workers, DEBUG=false; wrk -t{args.threads} -c{args.connections} "
            f"-d{args.duration}s per URL; {os.cpu_count()} CPUs\n"
        )
        print(f"{'case':<18} {'path':<42} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>6}  target")
        results, base_rps, failed = {}, None, False
        for name, path in cases:
            r = run_wrk(base + path, args.duration, args.connections, args.threads)
            base_rps = base_rps or r["rps"]
            ratio = r["rps"] / base_rps
            target = TARGETS.get(name, FLOOR if name != "minimal view" else None)
            verdict = "" if target is None else (f">= {target}x " + ("ok" if ratio >= target else "MISSED"))
            failed |= bool(target and ratio < target) or r["non2xx"] > 0
            bad = f"  ({r['non2xx']} non-2xx)" if r["non2xx"] else ""
            print(
                f"{name:<18} {path:<42} {r['rps']:>9.0f} {r['p50']:>8.2f} {r['p99']:>8.2f} "
                f"{ratio:>6.2f}  {verdict}{bad}"
            )
            results[name] = r
        print("\nall targets met" if not failed else "\nSOME TARGETS MISSED")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
