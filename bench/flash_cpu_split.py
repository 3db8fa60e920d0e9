"""Where the flash sale's orders phase spends the machine (not a test): CPU per order by process.

    source env.sh && .venv/bin/python bench/flash_cpu_split.py [--buyers 1000] [--flash 200]

Runs the sale of bench/flash_sale_http.py (the same data, server, warm-up and client: 5 sync
workers, ``--concurrency`` in flight) and, from the first checkout to the last order, reads the
CPU time of every process on the machine from ``/proc`` every 0.1 s. Prints, per order, the CPU
of each group — the gunicorn workers, this run's PostgreSQL backends (those of its database),
other PostgreSQL processes, Redis, this Python client, anything else (other people's work on a
shared machine) — with ``/proc/stat``'s split of the machine, and how many of this database's
backends were in each state (``pg_stat_activity``: ``idle in transaction`` is a backend waiting on
its Django worker, ``Lock`` one queued on a row, ``IO:WALSync`` one flushing a commit).
``--concurrency 1`` gives the CPU per order without queueing.

It tells whether the orders phase is bound by the workers' CPU, PostgreSQL, Redis, the client or
the hot rows' locks (docs/performance.md, "Sale day: orders without DRF"). Uses DATABASE_URL and
REDIS_URL as bench/flash_sale_http.py does. Linux only.
"""

import argparse
import os
import sys
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from flash_sale_http import WARM_BUYERS, fire, flash_prepare, flash_warm  # noqa: E402
from marketplace_http import (  # noqa: E402
    bench_env,
    ensure_database,
    free_port,
    manage,
    run_wrk,
    start_gunicorn,
    stop,
    wait_until_up,
)

HZ = os.sysconf("SC_CLK_TCK")
STAT_FIELDS = "user nice system idle iowait irq softirq steal".split()


def cpu_seconds(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / HZ  # utime + stime


def every_process() -> dict[int, float]:
    found = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            seconds = cpu_seconds(int(name))
            if seconds is not None:
                found[int(name)] = seconds
    return found


def command(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def parent(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except OSError:
        return 0


def machine() -> list[float]:
    with open("/proc/stat") as f:
        return [int(x) / HZ for x in f.readline().split()[1:9]]


def group(pid: int, workers: set[int], database: str) -> str:
    """The group a process's CPU is counted in."""
    if pid == os.getpid():
        return "Python client"
    if pid in workers:
        return "gunicorn workers"
    text = command(pid)
    if "postgres" in text:
        return "PostgreSQL, this database" if database in text else "PostgreSQL, other"
    return "Redis" if "redis-server" in text else "anything else"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--buyers", type=int, default=1000)
    parser.add_argument("--flash", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--warm-buyers", type=int, default=WARM_BUYERS, help="0: fresh workers")
    args = parser.parse_args()

    env = bench_env()
    ensure_database(env)
    manage(env, "migrate", "--noinput")
    data = flash_prepare(env, buyers=args.buyers, flash=args.flash, warm_buyers=args.warm_buyers)
    database = env["DATABASE_URL"].rsplit("/", 1)[-1]
    port = free_port()
    log = Path(env["JISHI_VAR_DIR"]) / "flash-split-gunicorn.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    server = start_gunicorn(env, port, args.workers, stderr=log.open("w"))
    import psycopg

    watcher = psycopg.connect(env["DATABASE_URL"], autocommit=True)
    try:
        wait_until_up(f"http://127.0.0.1:{port}")
        run_wrk(f"http://127.0.0.1:{port}/ping", 3, args.concurrency, 2)
        flash_warm(port, data, concurrency=args.concurrency)
        ping = run_wrk(f"http://127.0.0.1:{port}/ping", 5, args.concurrency, 2)
        print(f"/ping {ping['rps']:.0f} req/s; load average {os.getloadavg()[0]:.2f}", flush=True)
        samples, states, done = [], [], threading.Event()

        def sample() -> None:
            while not done.is_set():
                samples.append((time.perf_counter(), every_process(), machine()))
                rows = watcher.execute(
                    "SELECT state, wait_event_type, wait_event FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()",
                    [database],
                ).fetchall()
                states.append((time.perf_counter(), rows))
                time.sleep(0.1)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        time.sleep(0.3)
        results, _elapsed, began, _ordered = fire(port, data["tokens"], concurrency=args.concurrency, time_limit=60)
        done.set()
        sampler.join()
        workers = {pid for pid in every_process() if parent(pid) == server.pid}
        labels = {pid: group(pid, workers, database) for pid in samples[-1][1]}  # while they live
    finally:
        stop(server)
        watcher.close()

    finished = [end for status, _seconds, end in results if status == 201]
    if not finished:
        sys.exit("no order was placed")
    last = max(finished)
    orders = len(finished)

    def nearest(moment: float):
        return min(samples, key=lambda s: abs(s[0] - moment))

    (t0, before, busy0), (t1, after, busy1) = nearest(began), nearest(last)
    window = t1 - t0
    groups: Counter = Counter()
    for pid, seconds in after.items():
        spent = seconds - before.get(pid, 0.0)  # a process born in the window started at 0
        if spent > 0:
            groups[labels.get(pid, "anything else")] += spent
    split = {name: b - a for name, a, b in zip(STAT_FIELDS, busy0, busy1, strict=True)}
    busy = sum(split.values()) - split["idle"] - split["iowait"]
    print(
        f"orders             {orders} in {last - began:.2f} s = {orders / (last - began):.0f}/s = "
        f"{orders / (last - began) / ping['rps']:.3f}x /ping; load average {os.getloadavg()[0]:.2f}"
    )
    print(f"machine            {busy / window:.2f} cores busy over {window:.2f} s: " + ", ".join(
        f"{name} {seconds:.2f} s" for name, seconds in split.items()
    ))  # fmt: skip
    for name, seconds in sorted(groups.items(), key=lambda item: -item[1]):
        print(
            f"  {name:<27} {seconds:6.2f} CPU-s  {seconds / window:5.2f} cores  {1000 * seconds / orders:6.2f} ms/order"
        )
    counted = [rows for moment, rows in states if began <= moment <= last]
    kinds: Counter = Counter()
    for rows in counted:
        for state, wait_type, wait in rows:
            kinds[
                state if state != "active" else f"active, waiting: {wait_type}:{wait}" if wait_type else "active"
            ] += 1
    print(f"this database's backends, mean over {len(counted)} samples:")
    for kind, count in kinds.most_common():
        print(f"  {count / max(1, len(counted)):5.2f}  {kind}")


if __name__ == "__main__":
    main()
