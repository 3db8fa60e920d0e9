"""Rooms: scheduling, the shelf, going live and ending (from the media server or the page),
stream keys, remind-me, visibility, and the "host is live" fan-out.

Going live and ending are conditional updates on ``status`` (``scheduled → live → ended``), in
the style of the sale clock: the one UPDATE that flips the row is the guard, so the notification
fan-out and the "ended" frame happen once however often the media server calls back.
"""

import secrets
from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from community.models import NOTIFICATION_QUOTE, NotificationKind
from community.selectors.people import follower_list
from community.services.moderation import refuse_if_banned
from community.services.notifications import FANOUT_CHUNK, notifications_create_bulk
from core.cache import bump_on_commit
from core.errors import ApplicationError
from core.moderation import can_moderate
from core.realtime import broadcast_on_commit, frame
from core.tasks import enqueue_on_commit
from core.visibility import Visibility
from livestream.caching import product_live_tag
from livestream.errors import LiveErrorCode
from livestream.models import Room, RoomPin, RoomProduct, RoomReminder, RoomStatus, Show, StreamKey
from marketplace.selectors.catalogue import product_list_public, shop_get_for_owner

#: Most products on one shelf.
SHELF_MAX = 50


def is_moderator(user) -> bool:
    return can_moderate(user)


def can_host(*, room: Room, user) -> bool:
    """The host, or a moderator."""
    return bool(user and user.is_authenticated and (room.host_id == user.pk or can_moderate(user)))


def _require_host(room: Room, user) -> None:
    if not can_host(room=room, user=user):
        raise ApplicationError(_("Only the host can do that."), status=403, code=LiveErrorCode.PERMISSION_DENIED)


# --- scheduling ---------------------------------------------------------------------------------


def _shelf_products(product_ids: Sequence[int]) -> list[int]:
    ids = list(dict.fromkeys(int(pk) for pk in product_ids))
    if len(ids) > SHELF_MAX:
        raise ApplicationError(
            _("A shelf holds at most %(n)d products.") % {"n": SHELF_MAX}, code=LiveErrorCode.SHELF_TOO_LONG
        )
    found = set(product_list_public().filter(pk__in=ids).values_list("pk", flat=True))
    missing = [pk for pk in ids if pk not in found]
    if missing:
        raise ApplicationError(
            _("Some products are not on sale: %(ids)s.") % {"ids": ", ".join(map(str, missing))},
            code=LiveErrorCode.INVALID_PRODUCTS,
            extra={"products": missing},
        )
    return ids


@transaction.atomic
def room_create(
    *,
    host,
    title: str,
    scheduled_at: datetime,
    description: str = "",
    cover=None,
    attach_shop: bool = False,
    show: Show | None = None,
    product_ids: Sequence[int] = (),
) -> Room:
    """Schedule a room. A seller may attach their shop; the shelf may hold any shop's public
    products, in the order given. A banned host cannot (403 ``banned``)."""
    refuse_if_banned(host)
    title = (title or "").strip()
    if not title:
        raise ApplicationError(
            _("Give the room a title."), code=LiveErrorCode.INVALID, extra={"fields": {"title": ["required"]}}
        )
    if show is not None and show.host_id != host.pk:
        raise ApplicationError(_("That show is not yours."), status=403, code=LiveErrorCode.PERMISSION_DENIED)
    shop = shop_get_for_owner(user=host) if attach_shop else None
    if attach_shop and shop is None:
        raise ApplicationError(_("You have no shop to attach."), code=LiveErrorCode.NO_SHOP)
    ids = _shelf_products(product_ids)
    room = Room(host=host, title=title[:120], description=description, scheduled_at=scheduled_at, shop=shop, show=show)
    if cover:
        room.cover = cover
    room.full_clean(exclude=["visibility_changed_by"])
    room.save()
    RoomProduct.objects.bulk_create(RoomProduct(room=room, product_id=pk, position=i) for i, pk in enumerate(ids))
    return room


@transaction.atomic
def room_shelf_set(*, room: Room, by, product_ids: Sequence[int]) -> list[int]:
    """Replace the shelf (keeping the tallies of products that stay)."""
    _require_host(room, by)
    refuse_if_banned(by)
    ids = _shelf_products(product_ids)
    _bump_shelf(room)  # the products leaving the shelf
    RoomProduct.objects.filter(room=room).exclude(product_id__in=ids).delete()
    existing = set(RoomProduct.objects.filter(room=room).values_list("product_id", flat=True))
    RoomProduct.objects.bulk_create(
        RoomProduct(room=room, product_id=pk, position=i) for i, pk in enumerate(ids) if pk not in existing
    )
    for i, pk in enumerate(ids):
        if pk in existing:
            RoomProduct.objects.filter(room=room, product_id=pk).update(position=i)
    broadcast_on_commit(room.group, frame("shelf", products=ids))
    bump_on_commit(*(product_live_tag(product_id) for product_id in ids))
    return ids


@transaction.atomic
def show_create(*, host, title: str, slug: str, description: str = "") -> Show:
    refuse_if_banned(host)
    show = Show(host=host, title=title, slug=slug, description=description)
    show.full_clean()
    show.save()
    return show


# --- going live and ending ------------------------------------------------------------------------


def _new_stream_name(room: Room) -> str:
    return f"r{room.pk}-{secrets.token_hex(4)}"


def _status_frame(room: Room) -> dict:
    return frame(
        "room",
        status=room.status,
        message=room.end_message,
        stream=room.stream_name,
        started_at=room.started_at,
        ended_at=room.ended_at,
    )


@transaction.atomic
def room_go_live(*, room: Room, now: datetime | None = None, video: bool = False) -> bool:
    """``scheduled → live``. True if this call flipped it; then, after commit, the followers of
    the host and everyone who pressed remind-me are notified (one Celery fan-out) and viewers
    already in the room get a ``room`` frame. ``video``: the media server is publishing, so the
    room gets a public stream name (the name of its HLS playlist). A banned host does not go
    live (403 ``banned``: from the page, and the media server's publish is refused)."""
    refuse_if_banned(room.host)
    now = now or timezone.now()
    stream_name = _new_stream_name(room) if video else ""
    flipped = Room.objects.filter(pk=room.pk, status=RoomStatus.SCHEDULED, visibility=Visibility.VISIBLE).update(
        status=RoomStatus.LIVE, started_at=now, stream_name=stream_name
    )
    room.refresh_from_db()
    if not flipped:
        return False
    from livestream.tasks import room_live_notify  # tasks import services

    enqueue_on_commit(room_live_notify, room.pk)
    broadcast_on_commit(room.group, _status_frame(room))
    _bump_shelf(room)
    return True


def _bump_shelf(room: Room) -> None:
    """The shelf's product pages show "live now": re-render them after commit."""
    product_ids = RoomProduct.objects.filter(room=room).values_list("product_id", flat=True)
    bump_on_commit(*(product_live_tag(product_id) for product_id in product_ids))


@transaction.atomic
def room_end(*, room: Room, message: str = "", now: datetime | None = None) -> bool:
    """``live → ended`` (or a scheduled room cancelled). True if this call ended it; then the
    pin is dropped and viewers get a ``room`` frame with ``message``."""
    now = now or timezone.now()
    flipped = Room.objects.filter(pk=room.pk, status__in=[RoomStatus.SCHEDULED, RoomStatus.LIVE]).update(
        status=RoomStatus.ENDED, ended_at=now, end_message=message[:300]
    )
    if flipped:
        RoomPin.objects.filter(room=room, unpinned_at__isnull=True).update(unpinned_at=now)
    room.refresh_from_db()
    if flipped:
        broadcast_on_commit(room.group, _status_frame(room))
        _bump_shelf(room)
    return bool(flipped)


def room_start_by_host(*, room: Room, user) -> Room:
    """The host (or a moderator) starts the room from the page (no video needed)."""
    _require_host(room, user)
    if room.status != RoomStatus.SCHEDULED or not room_go_live(room=room):
        raise ApplicationError(
            _("This room is not waiting to start."), status=409, code=LiveErrorCode.INVALID_TRANSITION
        )
    return room


def room_end_by_host(*, room: Room, user, message: str = "") -> Room:
    _require_host(room, user)
    if not room_end(room=room, message=message):
        raise ApplicationError(_("This room has already ended."), status=409, code=LiveErrorCode.INVALID_TRANSITION)
    return room


def room_force_end(*, room: Room, by, message: str) -> bool:
    """A moderator ends a room; viewers see ``message``."""
    if not is_moderator(by):
        raise ApplicationError(
            _("Only moderators can force a room to end."), status=403, code=LiveErrorCode.PERMISSION_DENIED
        )
    return room_end(room=room, message=message or _("This room was ended by a moderator."))


@transaction.atomic
def room_set_visibility(*, obj: Room, status: str, by, reason: str = "") -> bool:
    """Set a room's visibility (moderation). Hiding a live room ends it. True if it changed."""
    if status not in Visibility.values:
        raise ApplicationError(_("Unknown visibility."), code=LiveErrorCode.INVALID)
    changed = (
        Room.objects.filter(pk=obj.pk)
        .exclude(visibility=status)
        .update(
            visibility=status,
            visibility_changed_at=timezone.now(),
            visibility_changed_by=by if by and by.is_authenticated else None,
            visibility_reason=reason[:500],
        )
    )
    obj.refresh_from_db()
    if changed and status != Visibility.VISIBLE:
        room_end(room=obj, message=reason or _("This room was removed by a moderator."))
    return bool(changed)


# --- the media server -----------------------------------------------------------------------------


def _room_for_key(key: str, *, status: str) -> Room:
    stream_key = StreamKey.objects.filter(key=key).first() if key else None
    if stream_key is None:
        raise ApplicationError(_("Unknown or rotated stream key."), status=403, code=LiveErrorCode.BAD_STREAM_KEY)
    rooms = Room.objects.filter(host_id=stream_key.user_id, status=status, visibility=Visibility.VISIBLE)
    room = rooms.order_by("scheduled_at", "id").first()
    if room is None:
        raise ApplicationError(_("No room of yours is waiting to go live."), status=403, code=LiveErrorCode.NO_ROOM)
    return room


def media_publish(*, key: str, now: datetime | None = None) -> Room:
    """The media server's publish callback: the key's owner goes live in their next scheduled
    room (or continues a room already live after a reconnect). Raises 403 for an unknown or
    rotated key, or when the host has no room to go live in."""
    try:
        room = _room_for_key(key, status=RoomStatus.LIVE)
    except ApplicationError as error:
        if error.code != "no_room":
            raise
    else:
        if not room.stream_name:  # started from the page; the video joins now
            room.stream_name = _new_stream_name(room)
            Room.objects.filter(pk=room.pk, stream_name="").update(stream_name=room.stream_name)
            room.refresh_from_db()
            broadcast_on_commit(room.group, _status_frame(room))
        return room
    room = _room_for_key(key, status=RoomStatus.SCHEDULED)
    room_go_live(room=room, now=now, video=True)
    return room


def media_publish_done(*, name: str, now: datetime | None = None) -> Room | None:
    """The media server's publish-done callback: end the live room streaming as ``name`` (the
    public stream name the publish callback gave it, or the key). None if nothing was live."""
    room = Room.objects.filter(status=RoomStatus.LIVE, stream_name=name).first() if name else None
    if room is None:
        try:
            room = _room_for_key(name, status=RoomStatus.LIVE)
        except ApplicationError:
            return None
    room_end(room=room, now=now)
    return room


# --- stream keys, reminders -----------------------------------------------------------------------


def stream_key_get(*, user) -> StreamKey:
    """The user's stream key (made on first use)."""
    stream_key, _created = StreamKey.objects.get_or_create(user=user)
    return stream_key


@transaction.atomic
def stream_key_rotate(*, user) -> StreamKey:
    """A new secret key; the old one is refused from now on."""
    stream_key = StreamKey.objects.select_for_update().filter(user=user).first() or StreamKey(user=user)
    stream_key.key = StreamKey._meta.get_field("key").default()
    stream_key.save()
    return stream_key


def room_remind(*, room: Room, user, on: bool = True) -> bool:
    """Turn remind-me on (or off). Only for rooms still coming up. True if it changed."""
    if room.status != RoomStatus.SCHEDULED:
        raise ApplicationError(
            _("Reminders are for rooms that have not started."), status=409, code=LiveErrorCode.NOT_SCHEDULED
        )
    if on:
        _reminder, created = RoomReminder.objects.get_or_create(room=room, user=user)
        return created
    deleted, _counts = RoomReminder.objects.filter(room=room, user=user).delete()
    return bool(deleted)


def room_live_notify(*, room_id: int) -> int:
    """Tell the host's followers and everyone who pressed remind-me that ``room_id`` is live:
    keyset pages of the union of both (one notification per person), FANOUT_CHUNK at a time,
    deduplicated per room, so a retried task notifies nobody twice. Returns how many it created."""
    room = Room.objects.select_related("host").filter(pk=room_id, status=RoomStatus.LIVE).first()
    if room is None:
        return 0
    followers = follower_list(user=room.host).filter(follower__is_active=True)
    reminded = RoomReminder.objects.filter(room=room, user__is_active=True)
    created, last_id = 0, 0
    while True:
        page = sorted(
            set(
                followers.filter(follower_id__gt=last_id)
                .order_by("follower_id")
                .values_list("follower_id", flat=True)[:FANOUT_CHUNK]
            )
            | set(
                reminded.filter(user_id__gt=last_id)
                .order_by("user_id")
                .values_list("user_id", flat=True)[:FANOUT_CHUNK]
            )
        )[:FANOUT_CHUNK]
        if not page:
            return created
        last_id = page[-1]
        created += notifications_create_bulk(
            recipient_ids=[user_id for user_id in page if user_id != room.host_id],
            kind=NotificationKind.LIVE_STARTED,
            title=gettext_noop("%(host)s is live: %(title)s"),
            body=NOTIFICATION_QUOTE if room.description else "",
            params={"host": room.host.public_name, "title": room.title, "text": room.description[:300]},
            subject=("room", room.pk),
            url=room.get_absolute_url(),
            dedupe_key=f"live:{room.pk}:started",
        )
