"""Where the time goes on the signed-in pages, in-process only (not a test; no server, no wrk).

    .venv/bin/python bench/signed_in_split.py [--requests 200] [--only "home, signed in"]
    .venv/bin/python bench/signed_in_split.py --no-prepare --cprofile "cart, signed in"

The second half of ``bench/marketplace_http.py`` on its own: the same data (the demo grown to
10,000 products, ``ANALYZE``d after growing; DATABASE_URL / REDIS_URL, so ``source env.sh`` in a
worktree measures that worktree's database), the same settings (``DEBUG=false``) and the same
timing code (Django's test client; PostgreSQL time through ``connection.execute_wrapper``, Redis
time by wrapping redis-py), signed in as the demo shopper. It prints, per page, the queries and
Redis calls per request and the **median** of ``--requests`` requests for the total and for
its PostgreSQL, Redis and Python parts (each the median of its own per-request figures, so the
parts need not add up to the total). Meant for measuring one change at a time on a shared
machine where wrk figures say more about the machine than about the code.

``--cprofile CASE`` profiles that page instead (cProfile over ``--requests`` requests, after a
warm-up) and prints the functions with the most time of their own and the most cumulative time
(and, with ``CALLERS=<pattern>`` / ``CALLEES=<pattern>`` in the environment, who called the
functions matching it / what they called).
"""

import argparse
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from marketplace_http import SHOPPER, bench_env, manage, prepare, profile, shell_json  # noqa: E402

URLS = r"""
import json
from django.contrib.auth import get_user_model
from django.urls import reverse
from rest_framework.authtoken.models import Token
from marketplace.demo.bench import bench_catalogue
token, _ = Token.objects.get_or_create(user=get_user_model().objects.get(username="wei"))
print(json.dumps({
    "token": token.key,
    "urls": bench_catalogue(reverse=reverse),
    "home": reverse("home"),
    "questions": reverse("community:questions"),
    "cart": reverse("marketplace:cart"),
}))
"""

SIGN_IN = r"""
import json
from django.test import Client
client = Client(HTTP_HOST="127.0.0.1")
assert client.login(username={username!r}, password={password!r})
print(json.dumps({{key: morsel.value for key, morsel in client.cookies.items()}}))
"""

CPROFILE = r"""
import cProfile, io, json, pstats, sys, time
from django.test import Client

case = json.loads(sys.stdin.read())
client = Client(HTTP_HOST="127.0.0.1", **case["meta"])
for key, value in case["cookies"].items():
    client.cookies[key] = value
for _ in range(5):
    assert client.get(case["path"]).status_code == 200
profiler = cProfile.Profile(time.process_time)  # CPU time: preemption on a busy machine is not blamed on code
profiler.enable()
for _ in range(case["n"]):
    client.get(case["path"])
profiler.disable()
import os
for order in ("tottime", "cumulative"):
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text).sort_stats(order)
    stats.print_stats(case["top"])
    if order == "tottime" and os.environ.get("CALLERS"):  # e.g. CALLERS='functional.py:276'
        stats.print_callers(os.environ["CALLERS"])
    if order == "tottime" and os.environ.get("CALLEES"):  # e.g. CALLEES='fallback.py:16'
        stats.print_callees(os.environ["CALLEES"])
    print(text.getvalue())
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200, help="requests per page (default 200)")
    parser.add_argument("--products", type=int, default=10000, help="grow the catalogue to this many products")
    parser.add_argument(
        "--only",
        help="comma-separated case names (default: the four signed-in pages; also: product, anonymous; "
        "product API, token)",
    )
    parser.add_argument("--no-prepare", action="store_true", help="the data is there already: skip migrate/seed/grow")
    parser.add_argument("--cprofile", metavar="CASE", help="profile this case with cProfile instead")
    parser.add_argument("--top", type=int, default=40, help="rows of the cProfile listing")
    args = parser.parse_args()

    env = bench_env()
    if args.no_prepare:
        data = shell_json(env, URLS)
    else:
        print(f"Preparing data on {env['DATABASE_URL']} and {env['REDIS_URL']} ...", flush=True)
        prepare(env, products=args.products, queries=1)
        data = shell_json(env, URLS)
    cookies = shell_json(env, SIGN_IN.format(username=SHOPPER[0], password=SHOPPER[1]))
    cases = {
        "product, signed in": data["urls"]["product page"],
        "home, signed in": data["home"],
        "questions, signed in": data["questions"],
        "cart, signed in": data["cart"],
        "product, anonymous": data["urls"]["product page"],
        "product API, token": data["urls"]["product list API"],
    }
    token_meta = {"HTTP_AUTHORIZATION": f"Token {data['token']}"}

    def meta(name: str) -> dict:
        return token_meta if "token" in name else {}

    if args.cprofile:
        case = {
            "path": cases[args.cprofile],
            "cookies": cookies if "signed in" in args.cprofile else {},
            "n": args.requests,
            "top": args.top,
            "meta": meta(args.cprofile),
        }
        print(manage(env, "shell", "-c", CPROFILE, stdin=json.dumps(case)))
        return
    # Case names contain ", ": split on the commas that do not start one.
    wanted = re.split(r",(?! )", args.only) if args.only else [name for name in cases if "signed in" in name]
    profile_cases = {
        name: {"paths": [cases[name]], "cookies": cookies if "signed in" in name else {}, "meta": meta(name)}
        for name in wanted
    }
    split = profile(env, profile_cases, args.requests)
    print(f"\nIn-process, median of {args.requests} requests per page (DEBUG=false, signed in as {SHOPPER[0]}):")
    print(f"{'case':<22} {'queries':>8} {'redis':>6} {'total ms':>9} {'db ms':>7} {'redis ms':>9} {'python ms':>10}")
    for name, s in split.items():
        m = s["median"]
        print(
            f"{name:<22} {s['queries']:>8.1f} {s['redis']:>6.1f} {m['ms']:>9.2f} {m['db_ms']:>7.2f} "
            f"{m['redis_ms']:>9.2f} {m['python_ms']:>10.2f}"
        )


if __name__ == "__main__":
    main()
