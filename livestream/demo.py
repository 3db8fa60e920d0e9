"""Demo live rooms for ``seed_demo`` (``STEPS``, after the marketplace and people): one room live
now with a shelf, a pin with a room-only deal and chat history; a few coming up; a show with
ended episodes, their vote results and stats."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from livestream.models import ChatMessage, Room, RoomClick, RoomProduct, RoomStatus, RoomViewer, Show, ViewerSample
from livestream.services import live, rooms


def _products(ctx) -> list:
    return sorted((ctx.get("products") or {}).values(), key=lambda p: p.pk)


def _shelf(room: Room, products) -> None:
    for position, product in enumerate(products):
        RoomProduct.objects.get_or_create(room=room, product=product, defaults={"position": position})


def seed_show(ctx):
    users, products = ctx["users"], _products(ctx)
    host = users["meimei"]
    show, _ = Show.objects.get_or_create(
        slug="pearl-hour",
        defaults={
            "host": host,
            "title": "Pearl Hour 珍珠时间",
            "description": "Every evening: three pieces, honest close-ups, and you vote yea or nay.",
        },
    )
    now = timezone.now()
    for days_ago, (yea, nay) in zip((3, 2, 1), ((412, 88), (1290, 310), (2575, 565)), strict=True):
        start = (now - timedelta(days=days_ago)).replace(hour=20, minute=0, second=0, microsecond=0)
        room, created = Room.objects.get_or_create(
            show=show,
            title=f"Pearl Hour — episode {4 - days_ago}",
            defaults={
                "host": host,
                "shop": getattr(host, "shop", None),
                "scheduled_at": start,
                "started_at": start,
                "ended_at": start + timedelta(hours=2),
                "status": RoomStatus.ENDED,
                "hearts": 180 * yea // 10,
                "messages_count": yea // 3,
                "peak_viewers": yea + nay,
            },
        )
        if not created:
            continue
        _shelf(room, products[:3])
        RoomProduct.objects.filter(room=room).update(yea=yea, nay=nay)
        ViewerSample.objects.bulk_create(
            ViewerSample(
                room=room, minute=start + timedelta(minutes=m), viewers=int((yea + nay) * min(1, (m + 5) / 60))
            )
            for m in range(0, 120, 5)
        )
        RoomViewer.objects.bulk_create(RoomViewer(room=room, viewer_key=f"ademo{days_ago}-{i}") for i in range(50))
        RoomClick.objects.bulk_create(
            RoomClick(room=room, viewer_key=f"ademo{days_ago}-{i}", kind="shop", shop=products[0].shop)
            for i in range(20)
        )


CHAT = [
    ("wei", "晚上好！Is the tea from this year's harvest?"),
    ("xiaoming", "Yes — picked in April, I was there 🍵"),
    ("lili", "Welcome everyone, deal on the pearls starts now!"),
    ("wei", "How long is the necklace?"),
    ("lili", "45 cm, with a 5 cm extender."),
    ("meimei", "Freshwater, hand-knotted in our workshop."),
    ("wei", "Grabbed one 🎉"),
]


def seed_live_room(ctx):
    users, products = ctx["users"], _products(ctx)
    host = users["lili"]
    room, created = Room.objects.get_or_create(
        host=host,
        title="Lili's picks: pearls and spring tea",
        defaults={
            "description": "Live now: honest try-ons and a room-only flash deal.",
            "scheduled_at": timezone.now() - timedelta(minutes=20),
        },
    )
    if not created:
        return
    _shelf(room, products[:4])
    rooms.room_go_live(room=room)
    room.refresh_from_db()
    for username, text in CHAT:
        ChatMessage.objects.create(room=room, user=users[username], text=text)
    Room.objects.filter(pk=room.pk).update(messages_count=len(CHAT), hearts=1314, peak_viewers=86)
    featured = RoomProduct.objects.select_related("product").get(room=room, product=products[0]).product
    live.room_pin(
        room=room,
        product_id=featured.pk,
        by=host,
        deal_price=(featured.price * Decimal("0.7")).quantize(Decimal("0.01")),
        deal_quantity=min(20, max(1, featured.stock)),
        deal_minutes=20,
        per_buyer_limit=1,
    )


def seed_scheduled(ctx):
    users, products = ctx["users"], _products(ctx)
    now = timezone.now()
    for hours, username, title in (
        (3, "xiaoming", "Tea farm live: first flush tasting"),
        (26, "meimei", "Pearl Hour — episode 4"),
        (50, "lili", "Weekend haul: what I bought at the 12.12 sale"),
    ):
        if Room.objects.filter(title=title).exists():
            continue
        room = rooms.room_create(
            host=users[username],
            title=title,
            scheduled_at=now + timedelta(hours=hours),
            product_ids=[p.pk for p in products[1:4]],
        )
        if username == "meimei":
            Room.objects.filter(pk=room.pk).update(show=Show.objects.filter(slug="pearl-hour").first())
        rooms.room_remind(room=room, user=users["wei"])


STEPS = [("live: show", seed_show), ("live: room now", seed_live_room), ("live: coming up", seed_scheduled)]


def bench_room(*, run: str, chatters: int) -> dict:
    """For bench/live_ws.py: a live room and ``chatters`` users with API tokens."""
    from rest_framework.authtoken.models import Token

    from community.models import User

    host, _ = User.objects.get_or_create(username=f"bench-host-{run}")
    room = Room.objects.create(host=host, title=f"Bench {run}", scheduled_at=timezone.now())
    rooms.room_go_live(room=room)
    tokens = []
    for i in range(chatters):
        user, _ = User.objects.get_or_create(username=f"bench-chat-{run}-{i}")
        tokens.append(Token.objects.get_or_create(user=user)[0].key)
    return {"room": room.pk, "tokens": tokens}
