"""Live-room WebSocket benchmark (not a test): many viewers in one room over loopback.

    make bench-live     # or: .venv/bin/python bench/live_ws.py [--viewers 1000] [--servers 2] ...

What it does:
1. uses PostgreSQL and Redis (DATABASE_URL / REDIS_URL; defaults: the `jishi_bench` database and
   Redis db 15, as the other benches), migrates, and makes a live room plus ``--chatters`` users
   with API tokens (livestream/demo.py: ``bench_room``);
2. starts ``--servers`` uvicorn processes (ASGI, DEBUG=false) on loopback ports, as deployed
   behind a proxy that spreads sockets over them;
3. opens ``--viewers`` anonymous sockets, round-robin over the servers, from ``--clients`` client
   processes (so the client is not the bottleneck), and waits until every viewer has its hello;
4. for ``--duration`` seconds: the chatters (signed in by token) send ``--rate`` chat messages a
   second in all (each within the per-user rate limit), every message carrying its send time;
   ``--hearts`` viewers tap a heart twice a second;
5. prints, per run: fan-out latency p50/p99 (send → each viewer's receipt, same clock), frames
   delivered per second, chat events expected vs received (lost), and every server's CPU time;
6. ``--churn N``: afterwards connects and disconnects N more sockets in waves over a few minutes
   and prints the servers' memory (RSS) and the realtime Redis keys before, during and after.
"""

import argparse
import asyncio
import json
import multiprocessing
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from marketplace_http import PY, ROOT, bench_env, ensure_database, free_port, manage  # noqa: E402

SETUP = """
import json
from livestream.demo import bench_room
print(json.dumps(bench_room(run={run!r}, chatters={chatters})))
"""
KEYS = """
import asyncio, json
from core.realtime import redis_keys
print(json.dumps(len(asyncio.run(redis_keys("*")))))
"""


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_servers(env: dict, count: int) -> list[tuple[subprocess.Popen, int]]:
    servers = []
    for _ in range(count):
        port = free_port()
        process = subprocess.Popen(
            [PY, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1", "--port", str(port),
             "--lifespan", "off", "--log-level", "warning", "--no-access-log", "--ws-max-queue", "256"],
            cwd=ROOT, env=env,
        )  # fmt: skip
        servers.append((process, port))
    try:
        for _process, port in servers:
            wait_port(port)
    except SystemExit:
        for process, _ in servers:
            process.terminate()
        raise
    return servers


def wait_port(port: int, timeout: float = 180) -> None:
    import socket

    deadline = time.time() + timeout
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    sys.exit(f"server on port {port} did not come up")


# --- client processes ---------------------------------------------------------------------------


#: A bench chat message inside a frame's JSON text: ``"text":"bench <run> <send time>"``. The
#: viewers find them with this instead of decoding every frame (a thousand sockets' JSON decoding
#: was what made the client processes fall behind on a busy machine).
BENCH_CHAT = re.compile(r'"text":\s*"bench (\d+) ([0-9.]+)"')


async def viewer(url: str, stats: dict, ready: asyncio.Event, hearts: bool) -> None:
    """One viewer: connect, read the hello, then read frames until cancelled, timing the bench's
    chat messages (no per-frame timer and no JSON decoding: the client must not be what lags)."""
    import websockets

    run = stats["run"]
    try:
        async with websockets.connect(url, max_size=2**22, open_timeout=60, ping_interval=None) as ws:
            hello = json.loads(await ws.recv())
            assert hello["type"] == "hello"
            stats["connected"] += 1
            if stats["connected"] == stats["target"]:
                ready.set()

            async def tap():
                while True:
                    await ws.send('{"type":"heart"}')
                    await asyncio.sleep(0.5)

            tapper = asyncio.ensure_future(tap()) if hearts else None
            try:
                async for raw in ws:
                    now = time.time()
                    stats["frames"] += 1
                    if "bench " in raw:
                        for match in BENCH_CHAT.finditer(raw):
                            if match.group(1) == run:
                                stats["chats"] += 1
                                stats["latencies"].append(now - float(match.group(2)))
            finally:
                if tapper:
                    tapper.cancel()
            stats["errors"].append(f"closed by the server: {ws.close_code} {ws.close_reason}"[:120])
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # noqa: BLE001 - counted and reported
        stats["errors"].append(repr(exc)[:120])
        if stats["connected"] + len(stats["errors"]) >= stats["target"]:
            ready.set()


def client_main(urls: list[str], hearts: int, run: str, go, done, results) -> None:
    async def main():
        stats = {"connected": 0, "target": len(urls), "frames": 0, "chats": 0, "latencies": [], "errors": [],
                 "run": run}  # fmt: skip
        ready = asyncio.Event()
        tasks = []
        for i, url in enumerate(urls):
            tasks.append(asyncio.ensure_future(viewer(url, stats, ready, hearts=i < hearts)))
            if i % 50 == 49:
                await asyncio.sleep(0.05)  # a gentle ramp, like viewers arriving
        try:
            await asyncio.wait_for(ready.wait(), timeout=180)
        except TimeoutError:
            pass  # go on with those that connected (the rest are reported)
        results.put(("ready", stats["connected"], stats["errors"][:3]))
        while not go.is_set():
            await asyncio.sleep(0.05)
        stats["frames"], stats["chats"], stats["latencies"] = 0, 0, []
        began = time.time()
        while not done.is_set():
            await asyncio.sleep(0.05)
        # Frames per second over this client's own window (go → done): the chatters connect
        # after go, so the chat duration alone would overstate the rate.
        rate = stats["frames"] / max(time.time() - began, 1e-9)
        await asyncio.sleep(2.0)  # the last messages' frames
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        results.put(("done", rate, stats["chats"], stats["latencies"], stats["errors"][:3],
                     len(stats["errors"])))  # fmt: skip

    asyncio.run(main())


async def chatters(urls: list[str], tokens: list[str], rate: float, duration: float, run: str) -> tuple[int, float]:
    """Send ``rate`` messages a second in all, spread over the chatters. Returns how many were
    sent and the seconds it took."""
    import websockets

    sockets = [
        await websockets.connect(
            urls[i % len(urls)], additional_headers={"Authorization": f"Token {t}"}, ping_interval=None
        )
        for i, t in enumerate(tokens)
    ]
    refusals = []

    async def read(ws):  # keep reading so the socket never backs up; count refusals
        try:
            async for raw in ws:
                if '"type":"error"' in raw:
                    refusals.append(raw)
        except Exception:  # noqa: BLE001 - closed at the end
            pass

    readers = [asyncio.ensure_future(read(ws)) for ws in sockets]
    sent, start = 0, time.time()
    interval = 1.0 / rate
    while time.time() - start < duration:
        ws = sockets[sent % len(sockets)]
        await ws.send(json.dumps({"type": "chat", "text": f"bench {run} {time.time():.6f}"}))
        sent += 1
        await asyncio.sleep(max(0.0, start + sent * interval - time.time()))
    elapsed = time.time() - start
    await asyncio.sleep(1)
    for ws in sockets:
        await ws.close()
    await asyncio.gather(*readers, return_exceptions=True)
    if refusals:
        print(f"  ! {len(refusals)} chat refusals, e.g. {refusals[0][:160]}")
    return sent, elapsed


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def run_load(args, env, servers, room: dict, run: str) -> dict:
    urls = [f"ws://127.0.0.1:{port}/ws/live/{room['room']}/" for _p, port in servers]
    per_client = [[] for _ in range(args.clients)]
    for i in range(args.viewers):
        per_client[i % args.clients].append(urls[i % len(urls)])
    ctx = multiprocessing.get_context("spawn")
    go, done, results = ctx.Event(), ctx.Event(), ctx.Queue()
    hearts_each = args.hearts // args.clients
    clients = [
        ctx.Process(target=client_main, args=(chunk, hearts_each, run, go, done, results)) for chunk in per_client
    ]
    for client in clients:
        client.start()
    connected = 0
    for _ in clients:
        _, n, errors = results.get(timeout=240)
        connected += n
        if errors:
            print("  connect errors:", errors)
    print(f"  {connected}/{args.viewers} viewers connected; load for {args.duration}s ...")
    cpu_before = [cpu_seconds(p.pid) for p, _ in servers]
    go.set()
    sent, elapsed = asyncio.run(chatters(urls, room["tokens"], args.rate, args.duration, run))
    done.set()
    frames = chats = 0
    latencies: list[float] = []
    closed = 0
    for _ in clients:
        _, f, c, lat, errors, n_errors = results.get(timeout=120)
        frames, chats, closed = frames + f, chats + c, closed + n_errors  # (frames: a rate per client)
        latencies.extend(lat)
        if errors:
            print("  viewer errors:", errors)
    print(f"  {closed} viewer sockets closed by the server or failed during the run")
    for client in clients:
        client.join(timeout=30)
    cpu = [cpu_seconds(p.pid) - before for (p, _), before in zip(servers, cpu_before, strict=True)]
    expected = sent * connected
    return {
        "viewers": connected,
        "messages": sent,
        "p50_ms": percentile(latencies, 0.5) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "max_ms": max(latencies, default=float("nan")) * 1000,
        "frames_per_s": frames,
        "expected": expected,
        "received": chats,
        "lost": expected - chats,
        "sockets_closed": closed,
        "server_cpu_s": [round(c, 1) for c in cpu],
        "elapsed": elapsed,
    }


async def churn_wave(urls: list[str], count: int) -> int:
    import websockets

    async def one(url):
        async with websockets.connect(url, open_timeout=60, ping_interval=None) as ws:
            await ws.recv()
            await asyncio.sleep(0.5)

    results = await asyncio.gather(*(one(urls[i % len(urls)]) for i in range(count)), return_exceptions=True)
    return sum(1 for r in results if not isinstance(r, Exception))


def keys(env) -> int:
    return json.loads(manage(env, "shell", "-c", KEYS).strip().splitlines()[-1])


def churn(args, env, servers, room: dict) -> None:
    urls = [f"ws://127.0.0.1:{port}/ws/live/{room['room']}/" for _p, port in servers]
    time.sleep(20)  # hubs linger 2 s, presence expires after 3 beats (15 s)
    before = {"rss_kb": [rss_kb(p.pid) for p, _ in servers], "keys": keys(env)}
    print(f"  before churn: RSS {before['rss_kb']} kB, realtime Redis keys {before['keys']}")
    waves, ok, started = max(1, args.churn // 50), 0, time.time()
    for wave in range(waves):
        ok += asyncio.run(churn_wave(urls, 50))
        if wave == waves // 2:
            print(f"  during churn: RSS {[rss_kb(p.pid) for p, _ in servers]} kB, keys {keys(env)}")
        time.sleep(args.churn_pause)
    print(f"  {ok}/{waves * 50} sockets connected and closed in {time.time() - started:.0f}s")
    time.sleep(20)
    after = {"rss_kb": [rss_kb(p.pid) for p, _ in servers], "keys": keys(env)}
    print(f"  after churn (+20 s): RSS {after['rss_kb']} kB, realtime Redis keys {after['keys']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--viewers", type=int, default=1000)
    parser.add_argument("--servers", type=int, default=2, help="uvicorn processes (default 2)")
    parser.add_argument("--clients", type=int, default=4, help="client processes holding the viewers")
    parser.add_argument("--rate", type=float, default=20.0, help="chat messages per second in all")
    parser.add_argument("--chatters", type=int, default=25)
    parser.add_argument("--hearts", type=int, default=200, help="viewers tapping a heart twice a second")
    parser.add_argument("--duration", type=int, default=30)
    parser.add_argument("--churn", type=int, default=0, help="sockets to connect and close afterwards")
    parser.add_argument("--churn-pause", type=float, default=5.0, help="seconds between waves of 50")
    args = parser.parse_args()

    signal.signal(signal.SIGTERM, lambda *_: sys.exit("terminated"))  # (so the servers are stopped)
    env = bench_env()
    env["LIVE_PRESENCE_SECONDS"] = "5"
    ensure_database(env)
    manage(env, "migrate", "--noinput")
    run = str(int(time.time()))
    room = json.loads(manage(env, "shell", "-c", SETUP.format(run=run, chatters=args.chatters)).splitlines()[-1])
    load = os.getloadavg()
    print(f"live_ws: {args.viewers} viewers on {args.servers} uvicorn processes, {args.rate:g} chat/s, "
          f"{args.hearts} viewers tapping hearts, {args.duration}s; load average before {load[0]:.2f}")  # fmt: skip
    servers = start_servers(env, args.servers)
    try:
        result = run_load(args, env, servers, room, run)
        print(f"  fan-out latency p50 {result['p50_ms']:.0f} ms, p99 {result['p99_ms']:.0f} ms, "
              f"max {result['max_ms']:.0f} ms")  # fmt: skip
        print(f"  frames delivered {result['frames_per_s']:.0f}/s; chat events expected {result['expected']}, "
              f"received {result['received']}, lost {result['lost']}")  # fmt: skip
        print(f"  server CPU seconds during the load: {result['server_cpu_s']} (of {result['elapsed']:.0f}s each)")
        print(f"  load average after: {os.getloadavg()[0]:.2f}")
        if args.churn:
            churn(args, env, servers, room)
    finally:
        for process, _ in servers:
            process.terminate()
        for process, _ in servers:
            process.wait(timeout=15)
    print(json.dumps({k: v for k, v in result.items()}, default=str))


if __name__ == "__main__":
    main()
