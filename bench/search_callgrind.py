"""Instructions per distinct search in the Django process (not a test): a repeatable A/B.

    .venv/bin/python bench/search_callgrind.py [--searches 300] [--warm 300] [--seed 5]

CPU time per request moves with the load of the machine; the instructions a process executes do
not (two runs of the same code agree within ~0.5 %). On the data of ``bench/marketplace_http.py``
(the demo grown to 10,000 products: ``DATABASE_URL`` / ``REDIS_URL``, its settings, run it once
to prepare them), this runs ``valgrind --tool=callgrind`` twice on a process that calls Django's
WSGI handler as gunicorn does with ``GET /search/?q=<query>`` for distinct queries of
``bench_search_queries`` (anonymous, every page a miss: the lists' tag is bumped first): once
with ``--warm`` warm-up searches only (the process's compiled SQL, frames and each word's best
sellers, as in a worker that has served a while), once with the warm-up and ``--searches``
more; the difference, divided by ``--searches``, is the instructions of one search (the import
and warm-up cancel out). Each run has a cache key prefix of its own, so that runs in parallel
do not bump each other's tags. PostgreSQL's and Redis's own work is not counted:
``bench/cpu_per_request.py`` prints their CPU per request.
"""

import argparse
import io
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from urllib.parse import quote_plus

sys.path.insert(0, str(Path(__file__).resolve().parent))
from marketplace_http import ROOT, bench_env  # noqa: E402

PY = sys.executable


def run(*, warm: int, searches: int, seed: int) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.handlers.wsgi import WSGIHandler

    from core.cache import bump
    from marketplace.caching import TAG_LISTS
    from marketplace.demo.bench import bench_search_queries

    app = WSGIHandler()
    queries = random.Random(seed).sample(bench_search_queries(count=13000), warm + searches)
    bump(TAG_LISTS)

    def search(query: str) -> None:
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": "/search/",
            "QUERY_STRING": "q=" + quote_plus(query),
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "127.0.0.1",
            "HTTP_ACCEPT": "text/html",
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(b""),
            "wsgi.errors": sys.stderr,
        }
        status = []
        b"".join(app(environ, lambda line, headers: status.append(line)))
        if not status[0].startswith("200"):
            raise SystemExit(f"{query!r}: {status[0]}")

    for query in queries:
        search(query)


def instructions(*, warm: int, searches: int, seed: int, out: Path) -> int:
    env = {**bench_env(), "CACHE_KEY_PREFIX": f"search-callgrind-{uuid.uuid4().hex[:8]}"}
    arguments = json.dumps({"warm": warm, "searches": searches, "seed": seed})
    subprocess.run(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", PY, __file__, "--run", arguments],
        check=True,
        capture_output=True,
        cwd=ROOT,
        env=env,
    )
    text = out.read_text(errors="replace")
    return int(re.search(r"^(?:summary|totals): (\d+)", text, re.M).group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--searches", type=int, default=300, help="measured searches (default 300)")
    parser.add_argument("--warm", type=int, default=300, help="warm-up searches (default 300)")
    parser.add_argument("--seed", type=int, default=5, help="draws the queries (default 5)")
    parser.add_argument("--run", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        return run(**json.loads(args.run))
    print(f"load average {os.getloadavg()[0]:.2f}", flush=True)
    with tempfile.TemporaryDirectory() as scratch:
        base = instructions(warm=args.warm, searches=0, seed=args.seed, out=Path(scratch) / "base.out")
        full = instructions(warm=args.warm, searches=args.searches, seed=args.seed, out=Path(scratch) / "full.out")
    print(f"instructions per distinct search: {(full - base) / args.searches:,.0f}")


if __name__ == "__main__":
    main()
