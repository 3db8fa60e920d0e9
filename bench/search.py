"""Search benchmark (not a test): product search over >= 10,000 products, served as deployed.

    make bench-search                      # or: .venv/bin/python bench/search.py [--products 10000]
    .venv/bin/python bench/search.py --compare-segmentation   # jieba vs character pairs, no server

What it does, in one run:
1. uses PostgreSQL and Redis as bench/marketplace_http.py does (a `jishi_bench` database, Redis
   db 15), migrates, loads the demo data, and tops the catalogue up to ``--products`` synthetic
   products (marketplace/demo/search_corpus.py: a third Chinese titles written without spaces,
   a third English, a third both), building their search documents;
2. starts gunicorn (sync workers, DEBUG=false) and measures ``/ping`` with wrk (the ratio base);
3. for each kind of query (Chinese, English one word, two English words, and two words on the API)
   drives ``/search/?q=...`` with wrk and **a distinct URL per request**, so no request is served
   from the page cache: the query comes from a pool of real queries and each URL also carries a
   distinct ``min_price`` below every product's price (0.0001, 0.0002, ...), which filters out
   nothing but makes the cache key new;
4. measures unloaded latency too: one request at a time, distinct URLs again;
5. prints requests/s under load with p50/p99, the ratio to /ping, and the unloaded p50/p99.

Issue 14's target: search with a distinct query per request >= 0.2x /ping at 10,000 products.
Figures and the command are recorded in docs/performance.md.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import marketplace_http as http  # noqa: E402

TARGET = 0.2
KINDS = [
    ("chinese", "/search/", "chinese"),
    ("english", "/search/", "english"),
    ("two words", "/search/", "two words"),
    ("two words, API", "/api/v1/products/", "two words"),
]

SETUP = r"""
import json
from marketplace.demo.bench import bench_search_catalogue
print(json.dumps(bench_search_catalogue(products=%d)))
"""

# One URL per request, round-robin over the threads so no two requests share a URL.
LUA = r"""
local paths = {}
for line in io.lines(os.getenv("BENCH_PATHS")) do paths[#paths + 1] = line end
local counter, threads = 0, {}
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
function init(args)
  n = 0
  step = tonumber(os.getenv("BENCH_THREADS"))
end
function request()
  local i = n * step + tid
  n = n + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
"""


def paths_for(base_path: str, pool: list[str], count: int, offset: int) -> list[str]:
    out = []
    for k in range(count):
        query = pool[k % len(pool)]
        out.append(
            f"{base_path}?{urllib.parse.urlencode({'q': query, 'min_price': f'{(offset + k + 1) / 10000:.4f}'})}"
        )
    return out


def run_wrk_paths(base: str, paths: list[str], args) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        listing, script = Path(folder) / "paths.txt", Path(folder) / "distinct.lua"
        listing.write_text("\n".join(paths) + "\n")
        script.write_text(LUA)
        env = dict(os.environ, BENCH_PATHS=str(listing), BENCH_THREADS=str(args.threads))
        out = subprocess.run(
            [
                "wrk",
                f"-t{args.threads}",
                f"-c{args.connections}",
                f"-d{args.duration}s",
                "--timeout",
                "10s",  # on a loaded machine slow answers count, not vanish
                "--latency",
                "-s",
                str(script),
                base,
            ],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        ).stdout
    import re

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    p50 = http.to_ms(re.search(r"\s50%\s+(\S+)", out).group(1))
    p99 = http.to_ms(re.search(r"\s99%\s+(\S+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50": p50, "p99": p99, "requests": total, "non2xx": int(non2xx.group(1)) if non2xx else 0}


def unloaded(base: str, paths: list[str]) -> dict:
    times, empty = [], 0
    for path in paths:
        started = time.perf_counter()
        with urllib.request.urlopen(base + path, timeout=30) as response:
            body = response.read()
        times.append((time.perf_counter() - started) * 1000)
        empty += b"No products match" in body or b'"count":0' in body
    times.sort()
    return {"p50": statistics.median(times), "p99": times[int(len(times) * 0.99) - 1], "empty": empty}


def compare_segmentation(products: int) -> None:
    """Recall and precision against substring matching (what a shopper expects of Chinese without
    spaces), terms per product and time, for character pairs and for jieba."""
    from marketplace.demo.search_corpus import corpus, queries
    from marketplace.selectors.search import _word_terms, document_terms, normalize

    rows = corpus(products)
    docs = [normalize(f"{r['title']} {r['description']}") for r in rows]
    pool = [q for q in queries()["chinese"]]
    truth = {q: {i for i, d in enumerate(docs) if q in d} for q in pool}

    def score(name, doc_terms, query_terms, seconds):
        found_total = hit_total = truth_total = 0
        misses = []
        for q in pool:
            need = set(query_terms(q))
            found = {i for i, terms in enumerate(doc_terms) if need <= terms}
            hit = found & truth[q]
            found_total, hit_total, truth_total = (
                found_total + len(found),
                hit_total + len(hit),
                truth_total + len(truth[q]),
            )
            if len(hit) < len(truth[q]):
                misses.append(f"{q} ({len(hit)}/{len(truth[q])})")
        terms = statistics.mean(len(t) for t in doc_terms)
        print(
            f"{name:<22} recall {hit_total / truth_total:6.1%}  precision {hit_total / max(found_total, 1):6.1%}  "
            f"{terms:5.1f} distinct terms/product  {seconds * 1e6 / len(docs):6.1f} µs/product"
        )
        if misses:
            print(f"{'':<22} missed some matches of {len(misses)} of {len(pool)} queries, e.g. {', '.join(misses[:6])}")

    started = time.perf_counter()
    pairs = [set(document_terms(d).split()) for d in docs]
    score("character pairs", pairs, lambda q: [t for t in _word_terms(q)], time.perf_counter() - started)
    try:
        import jieba
    except ImportError:
        print("jieba is not installed (pip install jieba==0.42.1): skipped")
        return
    jieba.setLogLevel(60)
    started = time.perf_counter()
    jieba.initialize()
    print(f"jieba dictionary load: {time.perf_counter() - started:.2f} s")
    started = time.perf_counter()
    search_mode = [{t for t in jieba.cut_for_search(d) if t.strip()} for d in docs]
    seconds = time.perf_counter() - started
    score("jieba search mode", search_mode, lambda q: [t for t in jieba.cut(q) if t.strip()], seconds)
    score(
        "jieba, query also",
        search_mode,
        lambda q: [t for t in jieba.cut_for_search(q) if t.strip()],
        seconds,
    )
    print(f"({len(pool)} Chinese queries over {len(docs)} products; truth = the query is a substring)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--duration", type=int, default=10, help="seconds per kind (default 10)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    parser.add_argument("--unloaded", type=int, default=200, help="sequential requests per kind (default 200)")
    parser.add_argument("--compare-segmentation", action="store_true", help="jieba vs character pairs; no server")
    args = parser.parse_args()
    if args.compare_segmentation:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        import django

        django.setup()
        compare_segmentation(args.products)
        return
    if not http.shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")

    env = http.bench_env()
    print(f"Preparing {args.products} products on {env['DATABASE_URL']} and {env['REDIS_URL']} ...", flush=True)
    http.ensure_database(env)
    http.manage(env, "migrate", "--noinput")
    http.manage(env, "seed_demo", "--verbosity", "0")
    http.manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    data = json.loads(http.manage(env, "shell", "-c", SETUP % args.products).strip().splitlines()[-1])
    print(
        f"{data['products']} public products ({data['made']} made now); pools: "
        + ", ".join(f"{k} {len(v)}" for k, v in data["pools"].items())
    )

    port = http.free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [
            str(Path(http.PY).parent / "gunicorn"),
            "config.wsgi:application",
            "--workers",
            str(args.workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--access-logfile",
            "/dev/null",
            "--log-level",
            "warning",
        ],
        cwd=http.ROOT,
        env=env,
    )
    try:
        http.wait_until_up(base)
        for path in ("/ping", "/search/?q=warm", "/api/v1/products/?q=warm"):
            urllib.request.urlopen(base + path, timeout=30).read()
        print(
            f"\ngunicorn {args.workers} sync workers, DEBUG=false; wrk -t{args.threads} -c{args.connections} "
            f"-d{args.duration}s per kind, a distinct URL per request; {os.cpu_count()} CPUs; "
            f"load average {os.getloadavg()[0]:.1f}\n"
        )
        ping = http.run_wrk(base + "/ping", args.duration, args.connections, args.threads)
        print(
            f"{'kind':<16} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>6}   {'unloaded p50':>12} {'p99 ms':>7}"
        )
        print(f"{'/ping':<16} {ping['rps']:>8.0f} {ping['p50']:>8.1f} {ping['p99']:>8.1f} {1:>6.2f}")
        offset, failed = 0, False
        for name, base_path, pool_name in KINDS:
            pool = data["pools"][pool_name]
            count = int(max(ping["rps"], 500) * args.duration * 1.2)
            loaded = run_wrk_paths(base, paths_for(base_path, pool, count, offset), args)
            offset += count
            if loaded["requests"] > count:
                print(f"  (note: {loaded['requests']} requests > {count} distinct URLs: some were cache hits)")
            quiet = unloaded(base, paths_for(base_path, pool, args.unloaded, offset))
            offset += args.unloaded
            ratio = loaded["rps"] / ping["rps"]
            failed |= ratio < TARGET and "API" not in name
            bad = f"  ({loaded['non2xx']} non-2xx)" if loaded["non2xx"] else ""
            print(
                f"{name:<16} {loaded['rps']:>8.0f} {loaded['p50']:>8.1f} {loaded['p99']:>8.1f} {ratio:>6.2f}   "
                f"{quiet['p50']:>12.1f} {quiet['p99']:>7.1f}  ({quiet['empty']} of {args.unloaded} found nothing){bad}"
            )
        print(f"\npage target >= {TARGET}x /ping: " + ("MISSED" if failed else "met"))
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
