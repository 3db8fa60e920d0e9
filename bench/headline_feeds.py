"""Headline "for you" benchmark (not a test): the job's cost per user must not grow with the
number of stories.

    make bench-headline     # = .venv/bin/python bench/headline_feeds.py --workers 4 [--users 10000]

What it does, in one run:
1. uses its own PostgreSQL database (DATABASE_URL; default `jishi_headline_bench` on 127.0.0.1,
   created if missing) and local-memory caches, migrates, and empties the bench's rows;
2. generates a population with SQL ``generate_series``: ``--users`` people (default 10,000),
   200 shops with 5,000 products, 10 follows of people and 2 of shops each, 3 interests each,
   a purchase for every third person, today's topic, and ``--stories`` stories (default 50,000)
   published over the last ``HEADLINE_FEED_DAYS`` days, each mentioning a product, with likes
   and comments counted;
3. rebuilds every person's "for you" feed with the job's service (``story_feed_rebuild``, the
   same code the Celery task runs), split over ``--workers`` processes like the ``feeds`` queue's
   worker processes, starting from an empty feed table, and prints the time of one user's
   rebuild (mean, median, p99) and the wall time of the pass;
4. adds stories until there are ``--factor`` times as many (default 10×: 500,000), in the same
   window, re-analyses, rebuilds every feed again and prints the time per user;
5. prints the ratio of the means (target: the larger at most 1.5× the smaller per user; the
   ratio of the medians beside it) and the load average at each step, since the machine is
   shared. Columns the SQL does not name get their model defaults (``insert_select``).
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_RATIO = 1.5


def setup_django() -> None:
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jishi_headline_bench")
    os.environ.pop("REDIS_URL", None)  # the job's cost, not the cache's: local-memory cache
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    url = os.environ["DATABASE_URL"]
    if not url.startswith("postgres"):
        sys.exit("the bench needs PostgreSQL (DATABASE_URL)")
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", url.rsplit("/", 1)[-1]], capture_output=True)
    import django

    django.setup()


def sql(statement: str, params=None) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params or ())


def scalar(statement: str, params=None):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params or ())
        return cursor.fetchone()[0]


def insert_select(model, values: dict[str, str], tail: str, params=()) -> None:
    """``INSERT INTO <model's table> (...) SELECT ... <tail>``: ``values`` maps column names to
    SQL expressions; every other concrete column gets its model default (a literal parameter),
    so a column added to the model later does not break the bench."""
    from django.db import connection

    columns, expressions, defaults = [], [], []
    for field in model._meta.concrete_fields:
        column = field.column
        if column in values:
            expression = values.pop(column)
        elif field.primary_key:
            continue
        elif field.null and not field.has_default():
            expression = "NULL"
        else:
            expression = "%s"
            defaults.append(field.get_db_prep_save(field.get_default(), connection))
        columns.append(column)
        expressions.append(expression)
    if values:
        raise ValueError(f"{model.__name__} has no column(s) {sorted(values)}")
    sql(
        f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) SELECT {', '.join(expressions)} {tail}",
        [*defaults, *params],
    )


def bench_user_ids() -> list[int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM community_user WHERE username LIKE 'bench_u%%' ORDER BY id", ())
        return [row[0] for row in cursor.fetchall()]


def reset() -> None:
    """Drop what an earlier run generated (the bench's users own everything it made)."""
    for table in (
        "headline_storyfeedentry",
        "headline_storyproduct",
        "headline_storyshop",
        "headline_storylike",
        "headline_storycomment",
        "headline_storyimage",
        "headline_storyclick",
        "headline_storyorder",
        "headline_story",
        "headline_topic_featured_products",
        "headline_topic",
        "community_interestprofile",
        "community_activity",
        "community_userfollow",
        "community_shopfollow",
        "community_notification",
    ):
        sql(f"TRUNCATE {table} CASCADE")
    sql("DELETE FROM marketplace_product WHERE shop_id IN (SELECT id FROM marketplace_shop WHERE slug LIKE 'bench-%%')")
    sql("DELETE FROM marketplace_shop WHERE slug LIKE 'bench-%%'")
    sql("DELETE FROM community_user WHERE username LIKE 'bench_u%%'")


def generate_population(*, users: int) -> None:
    """People, shops, products, follows, interests and purchases (as activity), in SQL."""
    from community.models import User
    from marketplace.models import Product, Shop

    insert_select(
        User,
        {"password": "'!'", "username": "'bench_u' || i", "date_joined": "now()", "display_name": "'Reader ' || i"},
        "FROM generate_series(1, %s) AS i",
        [users],
    )
    insert_select(
        Shop,
        {
            "owner_id": "u.id",
            "name": "'Bench shop ' || u.n",
            "slug": "'bench-' || u.n",
            "created_at": "now()",
        },
        """FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM community_user
                 WHERE username LIKE 'bench_u%%' ORDER BY id LIMIT 200) AS u""",
    )
    insert_select(
        Product,
        {
            "shop_id": "s.ids[1 + (i %% array_length(s.ids, 1))]",
            "category_id": "c.ids[1 + (i %% array_length(c.ids, 1))]",
            "title": "'Bench product ' || i",
            "price": "10 + (i %% 90)",
            "stock": "100",
            "status": "'active'",
            "created_at": "now()",
            "updated_at": "now()",
        },
        """FROM generate_series(1, 5000) AS i,
                (SELECT array_agg(id ORDER BY id) AS ids FROM marketplace_shop WHERE slug LIKE 'bench-%%') AS s,
                (SELECT array_agg(id ORDER BY id) AS ids FROM marketplace_category) AS c""",
    )
    people = "(SELECT array_agg(id ORDER BY id) AS ids FROM community_user WHERE username LIKE 'bench_u%%') AS p"
    sql(
        f"""INSERT INTO community_userfollow (follower_id, user_id, created_at)
            SELECT DISTINCT f, t, now() FROM (
              SELECT p.ids[1 + i] AS f, p.ids[1 + ((i * 7919 + k * 104729) %% array_length(p.ids, 1))] AS t
              FROM {people}, generate_series(0, array_length(p.ids, 1) - 1) AS i, generate_series(1, 10) AS k
            ) AS pairs WHERE f <> t"""
    )
    sql(
        f"""INSERT INTO community_shopfollow (user_id, shop_id, created_at)
            SELECT DISTINCT p.ids[1 + i], s.ids[1 + ((i * 31 + k * 17) %% array_length(s.ids, 1))], now()
            FROM {people}, generate_series(0, array_length(p.ids, 1) - 1) AS i, generate_series(1, 2) AS k,
                 (SELECT array_agg(id ORDER BY id) AS ids FROM marketplace_shop WHERE slug LIKE 'bench-%%') AS s"""
    )
    sql(
        f"""INSERT INTO community_interestprofile (user_id, category_id, weight, computed_at)
            SELECT DISTINCT ON (p.ids[1 + i], c.ids[1 + ((i + k * 7) %% array_length(c.ids, 1))])
                   p.ids[1 + i], c.ids[1 + ((i + k * 7) %% array_length(c.ids, 1))], 1.0 + k, now()
            FROM {people}, generate_series(0, array_length(p.ids, 1) - 1) AS i, generate_series(1, 3) AS k,
                 (SELECT array_agg(id ORDER BY id) AS ids FROM marketplace_category) AS c"""
    )
    sql(
        f"""INSERT INTO community_activity (user_id, kind, product_id, category_id, ref, created_at)
            SELECT p.ids[1 + i], 'bought', NULL, c.ids[1 + ((i + 7) %% array_length(c.ids, 1))], '', now()
            FROM {people}, generate_series(0, array_length(p.ids, 1) - 1, 3) AS i,
                 (SELECT array_agg(id ORDER BY id) AS ids FROM marketplace_category) AS c"""
    )
    sql(
        """INSERT INTO headline_topic (date, title, prompt, cover, opened_at, created_at)
           VALUES ((now() AT TIME ZONE %s)::date, 'Bench topic', 'Tell us.', '', now(), now())""",
        [os.environ.get("TIME_ZONE", "Asia/Shanghai")],
    )


def add_stories(count: int, *, window_days: int) -> None:
    """``count`` public stories spread over the window, by random bench people, each mentioning
    one product; one in twenty in today's topic; likes and comments counted."""
    start = scalar("SELECT coalesce(max(id), 0) FROM headline_story")
    from headline.models import Story

    insert_select(
        Story,  # the model's default visibility is the public one
        {
            "title": "'Story ' || i",
            "body": "'Body'",
            "body_html": "'<p>Body</p>'",
            "published_at": f"now() - (((i * 7919) %% ({int(window_days)} * 86400)) || ' seconds')::interval",
            "like_count": "(i * 13) %% 50",
            "comment_count": "(i * 7) %% 9",
            "view_count": "(i * 3) %% 400",
            "created_at": "now()",
            "updated_at": "now()",
            "author_id": "p.ids[1 + ((i * 104729) %% array_length(p.ids, 1))]",
            "topic_id": "CASE WHEN i %% 20 = 0 THEN t.id END",
        },
        """FROM generate_series(%s::bigint, %s::bigint) AS i,
                (SELECT array_agg(id ORDER BY id) AS ids FROM community_user WHERE username LIKE 'bench_u%%') AS p,
                (SELECT id FROM headline_topic ORDER BY date DESC LIMIT 1) AS t""",
        [start + 1, start + count],
    )
    sql(
        """INSERT INTO headline_storyproduct (story_id, product_id, position)
           SELECT s.id, pr.ids[1 + ((s.id * 31) %% array_length(pr.ids, 1))], 0
           FROM headline_story s,
                (SELECT array_agg(id ORDER BY id) AS ids FROM marketplace_product
                 WHERE title LIKE 'Bench product %%') AS pr
           WHERE s.id > %s""",
        [start],
    )
    sql(
        """UPDATE headline_story s SET category_id = p.category_id, shop_id = p.shop_id
           FROM headline_storyproduct sp JOIN marketplace_product p ON p.id = sp.product_id
           WHERE sp.story_id = s.id AND s.id > %s""",
        [start],
    )
    sql("VACUUM ANALYZE")


def _rebuild_slice(user_ids: list[int], now) -> tuple[list[float], int]:
    from headline.services.feeds import story_feed_rebuild

    per_user, entries = [], 0
    for user_id in user_ids:
        started = time.perf_counter()
        entries += len(story_feed_rebuild(user_id=user_id, now=now))
        per_user.append(time.perf_counter() - started)
        if len(per_user) % 1000 == 0:
            print(f"  {os.getpid()}: {len(per_user):,} feeds built", flush=True)
    return per_user, entries


def rebuild_all(user_ids: list[int], *, workers: int) -> tuple[float, list[float], int]:
    """Rebuild every feed once, the users split over ``workers`` processes (as the ``feeds``
    queue's worker processes would); returns (wall seconds in all, per-user seconds, entries
    written)."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    from django.db import connections
    from django.utils import timezone

    # Both passes start from an empty feed table, so neither pays for deleting the other's rows.
    sql("TRUNCATE headline_storyfeedentry")
    now = timezone.now()
    connections.close_all()  # each forked worker opens its own connection
    began = time.perf_counter()
    if workers == 1:
        per_user, entries = _rebuild_slice(user_ids, now)
    else:
        per_user, entries = [], 0
        with ProcessPoolExecutor(workers, mp_context=get_context("fork")) as pool:
            for times, written in pool.map(_rebuild_slice, [user_ids[i::workers] for i in range(workers)],
                                           [now] * workers):  # fmt: skip
                per_user += times
                entries += written
    return time.perf_counter() - began, per_user, entries


def report(label: str, stories: int, total: float, per_user: list[float], entries: int) -> tuple[float, float]:
    """Prints and returns the mean and median time of one user's rebuild (``total`` is wall time:
    with several workers it is less than the sum of the rebuilds)."""
    mean_ms = statistics.fmean(per_user) * 1000
    ordered = sorted(per_user)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))] * 1000
    print(
        f"{label:<8} {stories:>9,} stories  {len(per_user):>6,} users  {total:7.1f} s wall  "
        f"{mean_ms:6.2f} ms/user (median {statistics.median(per_user) * 1000:.2f}, p99 {p99:.2f})  "
        f"{entries / len(per_user):.0f} entries/user; load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}",
        flush=True,
    )
    return mean_ms, statistics.median(per_user) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=10_000, help="people whose feeds are built (default 10,000)")
    parser.add_argument("--stories", type=int, default=50_000, help="stories at the smaller size (default 50,000)")
    parser.add_argument("--workers", type=int, default=1, help="processes rebuilding feeds (default 1)")
    parser.add_argument("--factor", type=int, default=10, help="the larger size is this many times (default 10)")
    args = parser.parse_args()

    setup_django()
    from django.conf import settings
    from django.core.management import call_command

    print(f"Database {settings.DATABASES['default']['NAME']}; {os.cpu_count()} CPUs; "
          f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)  # fmt: skip
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    reset()
    generate_population(users=args.users)
    add_stories(args.stories, window_days=settings.HEADLINE_FEED_DAYS)
    user_ids = bench_user_ids()
    print(f"generated in {time.perf_counter() - started:.0f} s; candidates per rebuild: "
          f"{settings.HEADLINE_FEED_CANDIDATES} newest + followed authors' latest + today's topic's top; "
          f"feed size {settings.HEADLINE_FEED_SIZE}", flush=True)  # fmt: skip

    small = report("smaller", args.stories, *rebuild_all(user_ids, workers=args.workers))
    started = time.perf_counter()
    add_stories(args.stories * (args.factor - 1), window_days=settings.HEADLINE_FEED_DAYS)
    print(f"added {args.stories * (args.factor - 1):,} stories in {time.perf_counter() - started:.0f} s", flush=True)
    large = report("larger", args.stories * args.factor, *rebuild_all(user_ids, workers=args.workers))

    ratio = large[0] / small[0]
    verdict = "OK" if ratio <= TARGET_RATIO else "TOO SLOW"
    print(f"ratio    {ratio:.2f}× per user at {args.factor}× the stories (target ≤ {TARGET_RATIO}×): {verdict}; "
          f"ratio of the medians {large[1] / small[1]:.2f}×")  # fmt: skip
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    if ratio > TARGET_RATIO:
        sys.exit(1)


if __name__ == "__main__":
    main()
