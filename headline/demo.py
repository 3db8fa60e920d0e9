"""Demo data for ``seed_demo`` (``STEPS``, run after the marketplace and community steps): two
weeks of topics of the day with stories (pictures drawn with Pillow, mentions of demo
products), likes and comments, two bloggers with many followers, and the feeds built.

Idempotent: topics by date, stories by (author, title), readers by username; likes, follows and
comments go through the services or are checked first, so a second run adds nothing.
"""

from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from community.models import User
from community.services.people import shop_follow, user_follow
from headline.models import Story, StoryComment, Topic
from headline.services import engagement, stories
from headline.services.feeds import story_feed_rebuild, trending_refresh
from headline.services.topics import topic_clock_tick
from marketplace.demo.catalogue import draw_product_image
from marketplace.selectors.catalogue import product_list_public, shop_list_public

#: (days ago, title, prompt) — today's topic first.
TOPICS = [
    (
        0,
        "我的年度好物 My buy of the year",
        "Which one thing you bought this year would you buy again tomorrow? Tell us why.",
    ),
    (1, "送妈妈的礼物 A gift for mum", "What did you give your mother last time, and how did she take it?"),
    (2, "一杯好茶 The perfect cup of tea", "Your tea, your pot, your ritual: show us how you brew."),
    (3, "小店故事 Small shops I love", "A small shop that treated you well. What happened?"),
    (4, "开箱 Unboxing day", "Open it with us: the parcel that made your week."),
    (5, "家的味道 Tastes of home", "A snack or fruit that tastes like home."),
    (6, "通勤好物 Commute essentials", "What makes your commute bearable?"),
    (7, "珍珠日记 Pearl diaries", "Pearls you wear every day, and how they hold up."),
    (8, "新年新家 New year, new home", "One small thing that changed how your home feels."),
    (9, "护肤心得 Skincare that worked", "A product that really changed your skin — honestly."),
    (10, "后悔没早买 Wish I'd bought it sooner", "What took you far too long to buy?"),
    (11, "送给自己 A treat for myself", "The last thing you bought just for you."),
    (12, "旅行必备 Travel must-haves", "What goes in your bag every trip?"),
    (13, "国风之美 Guochao style", "Chinese-style designs you love wearing or using."),
]

#: The two bloggers (lili exists in the community demo; amei is made here) and their readers.
BLOGGERS = {
    "lili": "Lili 丽丽",
    "amei": "阿美 Amei",
}
READERS = [f"reader{i:02d}" for i in range(1, 41)]
#: Printed by seed_demo with the other apps' demo logins (lili is community's).
DEMO_LOGINS = [
    ("amei", "blogger: stories about tea and pearls"),
    (READERS[0], f"reader who follows the bloggers ({READERS[0]} … {READERS[-1]})"),
]

#: (topic days ago, author, title, body, [product title substrings], [shop slugs], likes, pictures)
STORIES = [
    (
        0,
        "lili",
        "这条珍珠项链我戴了一整年",
        "I bought it for a wedding and never took it off.\n\n"
        "- the clasp is still **tight**\n- pearls kept their shine\n\n> 真的值！",
        ["淡水珍珠项链"],
        ["meimei-pearls"],
        32,
        2,
    ),
    (
        0,
        "amei",
        "My buy of the year: a clay teapot",
        "A 200 ml *zisha* pot changed my mornings. Season it with the tea you drink most.",
        ["紫砂茶壶"],
        [],
        21,
        1,
    ),
    (
        0,
        "wei",
        "Earbuds that survived my commute",
        "Thirty hours with the case, and they took a fall on the metro.",
        ["Bluetooth earbuds"],
        [],
        6,
        1,
    ),
    (1, "lili", "送妈妈一对珍珠耳钉", "Mum wears them to every family dinner now.", ["Pearl stud earrings"], [], 18, 1),
    (
        1,
        "amei",
        "A silk pillowcase for mum",
        "She says her hair is smoother. I say she sleeps longer.",
        ["真丝枕套"],
        [],
        9,
        1,
    ),
    (
        2,
        "amei",
        "三泡龙井的秘诀",
        "80 °C water, glass cup, leaves first. Three good infusions.",
        ["西湖龙井"],
        ["xiaoming-tea"],
        27,
        2,
    ),
    (
        2,
        "xiaoming",
        "How we press our Pu'er cakes",
        "Stone-pressed, wrapped by hand, stored two years.",
        ["云南普洱茶饼"],
        ["xiaoming-tea"],
        12,
        1,
    ),
    (
        3,
        "lili",
        "The pearl shop that re-strung my necklace for free",
        "I wrote to Meimei about a loose pearl. They re-strung it and sent it back in three days.",
        [],
        ["meimei-pearls"],
        25,
        1,
    ),
    (4, "wei", "Unboxing: a 65W charger", "Tiny, cool, charges the laptop too.", ["65W USB-C"], [], 4, 1),
    (5, "amei", "赣南脐橙，家的味道", "Every winter my grandmother peeled these for us.", ["赣南脐橙"], [], 15, 1),
    (
        6,
        "wei",
        "Commute kit: stand and earbuds",
        "Phone on the stand, podcast on, world off.",
        ["Magnetic phone stand", "Bluetooth earbuds"],
        [],
        5,
        1,
    ),
    (
        7,
        "lili",
        "Pearl diary: a baroque bracelet",
        "No two pearls alike. I get asked about it weekly.",
        ["Baroque pearl bracelet"],
        ["meimei-pearls"],
        19,
        2,
    ),
    (
        8,
        "amei",
        "一张窗花，年味就来了",
        "Red paper cuts on the window and the room feels like New Year.",
        ["剪纸窗花"],
        [],
        11,
        1,
    ),
    (
        9,
        "lili",
        "Rose cream, honestly",
        "Two months in: less dry, no breakouts. The scent fades fast.",
        ["玫瑰面霜"],
        [],
        8,
        1,
    ),
    (
        10,
        "amei",
        "Why did I wait so long for a bamboo steamer",
        "Dumplings, buns, fish — all better steamed.",
        ["Bamboo steamer"],
        [],
        7,
        1,
    ),
    (
        11,
        "lili",
        "A treat for me: a pearl hair clip",
        "Small, cheap, and I smile every time.",
        ["Pearl hair clip"],
        [],
        10,
        1,
    ),
    (
        12,
        "amei",
        "Travel: tea bags and a power bank",
        "Osmanthus oolong in the bag, always.",
        ["Osmanthus oolong tea bags"],
        [],
        6,
        1,
    ),
    (13, "lili", "国风旗袍穿搭", "The embroidered qipao for the Spring Festival photos.", ["刺绣旗袍"], [], 14, 2),
]

COMMENTS = [
    ("reader01", "Where did you get it? 求链接！"),
    ("reader02", "Looks lovely, thanks for sharing."),
    ("reader03", "我也买了，同款！"),
]


def _user(username: str, *, display_name: str, password_hash: str) -> User:
    user, created = User.objects.get_or_create(
        username=username,
        defaults={"display_name": display_name, "email": f"{username}@example.com", "password": password_hash},
    )
    return user


def seed_people(ctx):
    """Blogger amei and 40 readers who follow both bloggers (and a shop or two)."""
    password_hash = make_password(ctx["password"])  # hashed once, shared by the demo readers
    users = ctx.setdefault("users", {})
    for username, display_name in BLOGGERS.items():
        users[username] = users.get(username) or _user(username, display_name=display_name, password_hash=password_hash)
    shops = list(shop_list_public().filter(slug__in=["meimei-pearls", "xiaoming-tea"]))
    for i, username in enumerate(READERS):
        reader = _user(username, display_name=f"Reader {i + 1}", password_hash=password_hash)
        users[username] = reader
        for blogger in BLOGGERS:
            user_follow(follower=reader, user=users[blogger])
        if shops:
            shop_follow(user=reader, shop=shops[i % len(shops)])
    for username in ("wei", "xiaoming"):
        if username in users:
            user_follow(follower=users[username], user=users["amei"])


def seed_topics(ctx):
    today = timezone.localdate()
    ctx["topics"] = {}
    for days_ago, title, prompt in TOPICS:
        topic, _ = Topic.objects.get_or_create(
            date=today - timedelta(days=days_ago), defaults={"title": title, "prompt": prompt}
        )
        ctx["topics"][days_ago] = topic
    topic_clock_tick()


def _product_ids(titles: list[str]) -> list[int]:
    ids = []
    for part in titles:
        found = product_list_public().filter(title__contains=part).values_list("pk", flat=True).first()
        if found:
            ids.append(found)
    return ids


def seed_stories(ctx):
    users, topics = ctx["users"], ctx["topics"]
    shop_ids = dict(shop_list_public().values_list("slug", "pk"))
    now = timezone.now()
    readers = [users[name] for name in READERS]
    for i, (days_ago, author_name, title, body, products, shops, likes, pictures) in enumerate(STORIES):
        author = users.get(author_name) or User.objects.filter(username=author_name).first()
        if author is None or Story.objects.filter(author=author, title=title).exists():
            continue
        product_ids = _product_ids(products)
        uploads = [
            SimpleUploadedFile(
                f"story{i}-{n}.jpg",
                draw_product_image(
                    f"{title} {n}", "jewellery" if "珍珠" in title or "pearl" in title.lower() else "tea"
                ),
                content_type="image/jpeg",
            )
            for n in range(pictures)
        ]
        story = stories.story_create(
            author=author,
            title=title,
            body=body,
            topic_id=topics[days_ago].pk,
            product_ids=product_ids,
            shop_ids=[shop_ids[slug] for slug in shops if slug in shop_ids],
            images=uploads,
            now=now - timedelta(days=days_ago),
        )
        # Publish it on its topic's day (the demo tells two weeks of history).
        Story.objects.filter(pk=story.pk).update(published_at=now - timedelta(days=days_ago, hours=i % 7))
        for image in story.images.all():
            stories.story_image_generate_sizes(image_id=image.pk)
        for reader in readers[:likes]:
            engagement.story_like(user=reader, story=story)
        for username, text in COMMENTS[: 1 + i % 3]:
            if not StoryComment.objects.filter(story=story, author=users[username]).exists():
                engagement.comment_post(author=users[username], story=story, body=text)
        story.refresh_from_db()
        Story.objects.filter(pk=story.pk).update(view_count=story.like_count * 7 + 13)


def seed_feeds(ctx):
    now = timezone.now()
    trending_refresh(now=now)
    for user in User.objects.filter(username__in=[*ctx["users"].keys()]):
        story_feed_rebuild(user_id=user.pk, now=now)


STEPS = [
    ("headline: bloggers and readers", seed_people),
    ("headline: topics of the day", seed_topics),
    ("headline: stories, pictures, likes and comments", seed_stories),
    ("headline: feeds", seed_feeds),
]
