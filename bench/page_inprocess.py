"""In-process page timing (not a test, no HTTP server): anonymous product and shop pages against /ping.

    source env.sh && .venv/bin/python bench/page_inprocess.py [-n 2000] [--product ID] [--shop SLUG]

It measures the code of the directory it is run from (``cd`` to another checkout, e.g. main, to
measure "before" against the same database).
Uses the database and Redis it is given (``DATABASE_URL``, ``REDIS_URL``: e.g. the worktree's
after ``manage.py migrate && manage.py seed_demo``) and grows nothing. Runs with DEBUG=false
through Django's test client with ``secure=True`` and no cookies (a pristine anonymous visitor,
each request), after a few warm-up requests, and prints per URL: ms per request, and — from a
separate, instrumented pass — Redis round trips (commands and pipelines sent) and SQL queries
per request. The wrk figures of issue 14 (docs/performance.md) are the lead's; this isolates a
page's own cost on a busy machine.
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path.cwd()))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["DEBUG"] = "false"
os.environ.setdefault("SECRET_KEY", "bench-page-inprocess-not-secret-" + "x" * 40)


class RedisCounter:
    """Counts what redis-py sends: one command, or one pipeline (one round trip each)."""

    def __init__(self):
        import redis
        import redis.client

        self.count = 0
        from core.cache import RedisCache

        self._patched = [(redis.Redis, "execute_command"), (redis.client.Pipeline, "execute"), (RedisCache, "_send")]
        self._originals = [getattr(cls, name) for cls, name in self._patched]

    def __enter__(self):
        counter = self
        for (cls, name), original in zip(self._patched, self._originals, strict=True):

            def counted(*args, _original=original, **kwargs):
                counter.count += 1
                return _original(*args, **kwargs)

            setattr(cls, name, counted)
        return self

    def __exit__(self, *exc):
        for (cls, name), original in zip(self._patched, self._originals, strict=True):
            setattr(cls, name, original)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=2000, help="timed requests per URL")
    parser.add_argument("--product", type=int, help="product id (default: the public product with most vouchers)")
    parser.add_argument("--shop", help="shop slug (default: the product's shop)")
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.db.models import Count, Q
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from marketplace.models import Product
    from marketplace.selectors.catalogue import product_list_public

    public = product_list_public(now=timezone.now())
    if args.product:
        product = Product.objects.select_related("shop").get(pk=args.product)
    else:
        now = timezone.now()
        product = (
            public.select_related("shop")
            .annotate(vouchers=Count("shop__vouchers", filter=Q(shop__vouchers__valid_until__gt=now), distinct=True))
            .order_by("-vouchers", "pk")
            .first()
        )
    slug = args.shop or product.shop.slug
    urls = ["/ping", f"/products/{product.pk}/", f"/shops/{slug}/"]
    client = Client()

    def get(url):
        client.cookies.clear()
        response = client.get(url, secure=True)
        assert response.status_code == 200, (url, response.status_code)
        return response

    import core

    print(f"code: {Path(core.__file__).parent.parent}")
    print(f"product {product.pk} ({product.title}), shop {slug}; {args.n} requests each, DEBUG=false, anonymous")
    print(f"{'url':<40} {'ms/request':>10} {'redis/req':>10} {'sql/req':>8}")
    for url in urls:
        for _ in range(20):
            get(url)
        started = time.perf_counter()
        for _ in range(args.n):
            get(url)
        elapsed = (time.perf_counter() - started) / args.n * 1000
        counted = 50
        with RedisCounter() as redis_counter, CaptureQueriesContext(connection) as queries:
            for _ in range(counted):
                get(url)
        print(f"{url:<40} {elapsed:>10.3f} {redis_counter.count / counted:>10.2f} {len(queries) / counted:>8.2f}")


if __name__ == "__main__":
    main()
