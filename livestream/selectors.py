"""Livestream reads: room lists and pages, the shelf, the socket's first snapshot, shows with
their vote results, the product-page verdict, and the host's stats."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone

from core.moderation import can_moderate
from core.visibility import Visibility
from livestream.models import (
    ChatMessage,
    Room,
    RoomClick,
    RoomOrder,
    RoomPin,
    RoomProduct,
    RoomReminder,
    RoomStatus,
    RoomViewer,
    RoomVote,
    Show,
    ViewerSample,
)
from marketplace.selectors.catalogue import product_list_public

if TYPE_CHECKING:
    from marketplace.models import Product

#: Chat messages a viewer gets when they join.
CHAT_BACKLOG = 30


def _rooms() -> QuerySet[Room]:
    return Room.objects.filter(visibility=Visibility.VISIBLE).select_related("host", "shop", "show")


def room_list(*, status: str | None = None) -> QuerySet[Room]:
    """Visible rooms: live ones by start (newest first), coming ones soonest first, ended ones
    most recent first. ``status`` filters."""
    rooms = _rooms().annotate(shelf_count=Count("shelf"))
    if status == RoomStatus.LIVE:
        return rooms.filter(status=status).order_by("-started_at", "-id")
    if status == RoomStatus.SCHEDULED:
        return rooms.filter(status=status).order_by("scheduled_at", "id")
    if status == RoomStatus.ENDED:
        return rooms.filter(status=status).order_by("-ended_at", "-id")
    return rooms.order_by("-scheduled_at", "-id")


def room_get_visible(*, room_id: int) -> Room:
    """A visible room (404 otherwise)."""
    return get_object_or_404(_rooms(), pk=room_id)


def room_get_for_host(*, room_id: int, user) -> Room:
    """A room its host (or a moderator) manages (404 for anyone else)."""
    rooms = Room.objects.select_related("host", "shop", "show")
    if not can_moderate(user):
        rooms = rooms.filter(host=user)
    return get_object_or_404(rooms, pk=room_id)


def room_list_for_host(*, user) -> QuerySet[Room]:
    return Room.objects.filter(host=user).select_related("show").order_by("-scheduled_at", "-id")


def shelf_list(*, room: Room, buyer=None) -> list["Product"]:
    """The shelf's public products in order, priced for ``buyer`` (claimed room deals apply),
    each with ``yea``/``nay`` (two queries)."""
    rows = list(RoomProduct.objects.filter(room=room).values_list("product_id", "position", "yea", "nay"))
    products = product_list_public(buyer=buyer if buyer and buyer.is_authenticated else None).in_bulk(
        [row[0] for row in rows]
    )
    shelf = []
    for product_id, _position, yea, nay in rows:
        product = products.get(product_id)
        if product is not None:
            product.yea, product.nay = yea, nay
            shelf.append(product)
    return shelf


def chat_message_list_public() -> QuerySet[ChatMessage]:
    """Chat messages anyone in the room may see: visible, in a visible room."""
    return ChatMessage.objects.filter(visibility=Visibility.VISIBLE, room__visibility=Visibility.VISIBLE)


def chat_backlog(*, room: Room, limit: int = CHAT_BACKLOG) -> list[ChatMessage]:
    """The latest visible messages, oldest first."""
    messages = (
        ChatMessage.objects.filter(room=room, visibility=Visibility.VISIBLE)
        .select_related("user")
        .order_by("-created_at", "-id")[:limit]
    )
    return list(reversed(messages))


def chat_message_get(*, message_id: int) -> ChatMessage:
    return get_object_or_404(ChatMessage.objects.select_related("room"), pk=message_id)


def pin_current(*, room: Room) -> RoomPin | None:
    """The room's current pin (one query)."""
    return RoomPin.objects.select_related("product__shop", "deal").filter(room=room, unpinned_at__isnull=True).first()


def vote_of(*, room: Room, product_id: int, user) -> str:
    if not user or not user.is_authenticated:
        return ""
    return (
        RoomVote.objects.filter(room=room, product_id=product_id, user=user).values_list("value", flat=True).first()
        or ""
    )


def is_reminded(*, room: Room, user) -> bool:
    return bool(user.is_authenticated and RoomReminder.objects.filter(room=room, user=user).exists())


def hls_url(room: Room) -> str:
    """Where the player loads the room's HLS playlist (empty when not live)."""
    if room.status != RoomStatus.LIVE or not room.stream_name:
        return ""
    return settings.LIVE_HLS_URL_TEMPLATE.format(stream=room.stream_name)


# --- shows and verdicts ---------------------------------------------------------------------------


def show_list() -> QuerySet[Show]:
    return (
        Show.objects.select_related("host")
        .annotate(episode_count=Count("episodes", filter=Q(episodes__visibility=Visibility.VISIBLE)))
        .order_by("title", "id")
    )


def show_get(*, slug: str) -> Show:
    """A show with its visible episodes (newest first), each with its shelf and tallies
    prefetched (three queries)."""
    episodes = (
        Room.objects.filter(visibility=Visibility.VISIBLE)
        .select_related("host", "shop", "show")
        .order_by("-scheduled_at", "-id")
        .prefetch_related(Prefetch("shelf", queryset=RoomProduct.objects.select_related("product")))
    )
    return get_object_or_404(
        Show.objects.select_related("host").prefetch_related(Prefetch("episodes", queryset=episodes)), slug=slug
    )


@dataclass(frozen=True)
class Verdict:
    yea: int
    nay: int
    room_title: str
    room_id: int
    rooms: int

    @property
    def votes(self) -> int:
        return self.yea + self.nay

    @property
    def percent_yea(self) -> int:
        return round(100 * self.yea / self.votes) if self.votes else 0


def product_live_summary(*, product_id: int) -> tuple[dict | None, Verdict | None]:
    """For the product page (one query): a live room featuring the product now (``{"id",
    "title", "url"}``, or None), and live shows' verdict — yea/nay summed over every visible room
    that featured it, with the latest such room (None when nobody voted)."""
    rows = (
        RoomProduct.objects.filter(product_id=product_id, room__visibility=Visibility.VISIBLE)
        .filter(Q(yea__gt=0) | Q(nay__gt=0) | Q(room__status=RoomStatus.LIVE))
        .order_by("-room__scheduled_at", "-room_id")
        .values_list("yea", "nay", "room_id", "room__title", "room__status")
    )
    live_room, yea, nay, voted = None, 0, 0, []
    for row_yea, row_nay, room_id, title, status in rows:
        if status == RoomStatus.LIVE and live_room is None:
            live_room = {"id": room_id, "title": title, "url": reverse("livestream:room", args=[room_id])}
        if row_yea or row_nay:
            yea, nay = yea + row_yea, nay + row_nay
            voted.append((room_id, title))
    if not voted:
        return live_room, None
    return live_room, Verdict(yea=yea, nay=nay, room_title=voted[0][1], room_id=voted[0][0], rooms=len(voted))


# --- stats ----------------------------------------------------------------------------------------


@dataclass
class RoomStats:
    unique_viewers: int
    peak_viewers: int
    messages: int
    hearts: int
    votes: int
    store_visits: int  # clicks from the room to a product or a store
    unique_visitors: int
    attributed_orders: int
    attributed_sales: Decimal
    timeline: list[tuple[str, int]]

    @property
    def visit_rate(self) -> float:
        """Unique visitors ÷ unique viewers (0 without viewers)."""
        return self.unique_visitors / self.unique_viewers if self.unique_viewers else 0.0


def room_stats(*, room: Room) -> RoomStats:
    """The host's numbers for a room (a fixed number of queries)."""
    clicks = RoomClick.objects.filter(room=room)
    orders = RoomOrder.objects.filter(room=room, cancelled=False).aggregate(n=Count("id"), total=Sum("amount"))
    samples = ViewerSample.objects.filter(room=room).order_by("minute").values_list("minute", "viewers")
    return RoomStats(
        unique_viewers=RoomViewer.objects.filter(room=room).count(),
        peak_viewers=room.peak_viewers,
        messages=room.messages_count,
        hearts=room.hearts,
        votes=RoomVote.objects.filter(room=room).count(),
        store_visits=clicks.count(),
        unique_visitors=clicks.values("viewer_key").distinct().count(),
        attributed_orders=orders["n"] or 0,
        attributed_sales=orders["total"] or Decimal("0.00"),
        timeline=[(timezone.localtime(minute).strftime("%H:%M"), viewers) for minute, viewers in samples],
    )


def click_recent_for(*, user_id: int, shop_id: int, within: timedelta, now: datetime | None = None) -> RoomClick | None:
    """The buyer's latest click from a room to ``shop_id`` (a product or the store) in the
    attribution window before ``now``."""
    since = (now or timezone.now()) - within
    return (
        RoomClick.objects.filter(user_id=user_id, shop_id=shop_id, created_at__gte=since)
        .order_by("-created_at", "-id")
        .first()
    )


def room_hello(*, room: Room, user) -> dict:
    """The ``hello`` frame a socket gets on connect: the room, who you are, the pin with its
    deal and tally, your vote, and the chat backlog (the hub adds viewers and hearts)."""
    from core.realtime import frame
    from livestream.frames import chat_frame, pin_frame, tally_frame

    signed_in = bool(user and user.is_authenticated)
    pin = pin_current(room=room)
    tally = vote = None
    if pin is not None:
        shelf = RoomProduct.objects.filter(room=room, product_id=pin.product_id).first()
        tally = tally_frame(shelf) if shelf else None
        vote = vote_of(room=room, product_id=pin.product_id, user=user) or None
    return frame(
        "hello",
        room={
            "id": room.pk,
            "title": room.title,
            "status": room.status,
            "hls": hls_url(room),
            "host": room.host_id,
        },
        me={
            "user": user.pk if signed_in else None,
            "name": user.public_name if signed_in else None,
            "host": signed_in and (room.host_id == user.pk or can_moderate(user)),
        },
        pin=pin_frame(pin)["pin"],
        tally=tally,
        vote=vote,
        chat=[chat_frame(message, name=message.user.public_name) for message in chat_backlog(room=room)],
    )
