"""Headline "for you" benchmark (not a test): the job's cost per user must not grow with the
number of stories.

    make bench-headline               # or: .venv/bin/python bench/headline_feeds.py [--users 10000]

What it does, in one run:
1. uses its own PostgreSQL database (DATABASE_URL; default `jishi_headline_bench` on 127.0.0.1,
   created if missing) and local-memory caches, migrates, and empties the bench's rows;
2. generates a population with SQL ``generate_series``: ``--users`` people (default 10,000),
   200 shops with 5,000 products, 10 follows of people and 2 of shops each, 3 interests each,
   a purchase for every third person, today's topic, and ``--stories`` stories (default 50,000)
   published over the last ``HEADLINE_FEED_DAYS`` days, each mentioning a product, with likes
   and comments counted;
3. rebuilds every person's "for you" feed with the job's service (``story_feed_rebuild``, the
   same code the Celery task runs) and prints the time per user;
4. adds stories until there are ``--factor`` times as many (default 10×: 500,000), in the same
   window, re-analyses, rebuilds every feed again and prints the time per user;
5. prints the ratio (target: the larger at most 1.5× the smaller per user) and the load
   average before and after, since the machine is shared.
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
    sql(
        """INSERT INTO community_user (password, is_superuser, username, first_name, last_name, email, is_staff,
               is_active, date_joined, display_name, avatar, bio, question_invites_opt_out)
           SELECT '!', false, 'bench_u' || i, '', '', '', false, true, now(), 'Reader ' || i, '', '', false
           FROM generate_series(1, %s) AS i""",
        [users],
    )
    sql(
        """INSERT INTO marketplace_shop (owner_id, name, slug, description, logo, status, follower_count,
               rating_avg, rating_count, created_at)
           SELECT u.id, 'Bench shop ' || u.n, 'bench-' || u.n, '', '', 'active', 0, 0, 0, now()
           FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM community_user
                 WHERE username LIKE 'bench_u%%' ORDER BY id LIMIT 200) AS u"""
    )
    sql(
        """INSERT INTO marketplace_product (shop_id, category_id, title, description, price, stock, status,
               sales_count, rating_avg, rating_count, created_at, updated_at)
           SELECT s.ids[1 + (i %% array_length(s.ids, 1))], c.ids[1 + (i %% array_length(c.ids, 1))],
                  'Bench product ' || i, '', 10 + (i %% 90), 100, 'active', 0, 0, 0, now(), now()
           FROM generate_series(1, 5000) AS i,
                (SELECT array_agg(id ORDER BY id) AS ids FROM marketplace_shop WHERE slug LIKE 'bench-%%') AS s,
                (SELECT array_agg(id ORDER BY id) AS ids FROM marketplace_category) AS c"""
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
    sql(
        """INSERT INTO headline_story (visibility, visibility_reason, title, body, body_html, published_at,
               featured, like_count, comment_count, view_count, click_count, order_count, created_at,
               updated_at, author_id, topic_id)
           SELECT 'visible', '', 'Story ' || i, 'Body', '<p>Body</p>',
                  now() - (((i * 7919) %% (%s * 86400)) || ' seconds')::interval, false,
                  (i * 13) %% 50, (i * 7) %% 9, (i * 3) %% 400, 0, 0, now(), now(),
                  p.ids[1 + ((i * 104729) %% array_length(p.ids, 1))],
                  CASE WHEN i %% 20 = 0 THEN t.id END
           FROM generate_series(%s::bigint, %s::bigint) AS i,
                (SELECT array_agg(id ORDER BY id) AS ids FROM community_user WHERE username LIKE 'bench_u%%') AS p,
                (SELECT id FROM headline_topic ORDER BY date DESC LIMIT 1) AS t""",
        [window_days, start + 1, start + count],
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


def rebuild_all(user_ids: list[int]) -> tuple[float, list[float], int]:
    """Rebuild every feed once; returns (seconds in all, per-user seconds, entries written)."""
    from django.utils import timezone

    from headline.services.feeds import story_feed_rebuild

    now = timezone.now()
    per_user = []
    entries = 0
    began = time.perf_counter()
    for user_id in user_ids:
        started = time.perf_counter()
        entries += len(story_feed_rebuild(user_id=user_id, now=now))
        per_user.append(time.perf_counter() - started)
    return time.perf_counter() - began, per_user, entries


def report(label: str, stories: int, total: float, per_user: list[float], entries: int) -> float:
    mean_ms = total / len(per_user) * 1000
    ordered = sorted(per_user)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))] * 1000
    print(
        f"{label:<8} {stories:>9,} stories  {len(per_user):>6,} users  {total:7.1f} s  "
        f"{mean_ms:6.2f} ms/user (median {statistics.median(per_user) * 1000:.2f}, p99 {p99:.2f})  "
        f"{entries / len(per_user):.0f} entries/user",
        flush=True,
    )
    return mean_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=10_000, help="people whose feeds are built (default 10,000)")
    parser.add_argument("--stories", type=int, default=50_000, help="stories at the smaller size (default 50,000)")
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

    small = report("smaller", args.stories, *rebuild_all(user_ids))
    started = time.perf_counter()
    add_stories(args.stories * (args.factor - 1), window_days=settings.HEADLINE_FEED_DAYS)
    print(f"added {args.stories * (args.factor - 1):,} stories in {time.perf_counter() - started:.0f} s", flush=True)
    large = report("larger", args.stories * args.factor, *rebuild_all(user_ids))

    ratio = large / small
    verdict = "OK" if ratio <= TARGET_RATIO else "TOO SLOW"
    print(f"ratio    {ratio:.2f}× per user at {args.factor}× the stories (target ≤ {TARGET_RATIO}×): {verdict}")
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    if ratio > TARGET_RATIO:
        sys.exit(1)


if __name__ == "__main__":
    main()
