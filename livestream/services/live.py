"""What happens inside a room: chat, pins (with room-only flash deals), votes, hearts, viewers.

Called by the room's consumer (``database_sync_to_async``) and by pages, the API and admin. The
consumer is thin: it parses a frame, calls one of these, and hands the returned event to its
process's hub; writes made outside a socket (pin from the page, a moderator's removal) reach
every viewer with :func:`core.realtime.broadcast_on_commit`.

Tallies are hot counters in the style of checkout's ``_take_stock``: a vote is an
``INSERT … ON CONFLICT DO NOTHING`` of the voter's row, then a conditional
``UPDATE roomproduct SET yea = yea + 1`` (a changed vote moves one unit from the old side,
``WHERE nay >= 1``); the vote row is locked first, the shared tally row last.
"""

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from community.models import ActivityKind
from community.services import moderation
from community.services.activity import activity_record
from community.services.moderation import case_hold_open, refuse_if_banned
from core.cache import bump_on_commit
from core.errors import ApplicationError
from core.realtime import broadcast_on_commit, frame
from core.visibility import Visibility
from livestream.caching import product_live_tag
from livestream.errors import LiveErrorCode
from livestream.frames import pin_frame, tally_frame
from livestream.models import ChatMessage, Room, RoomPin, RoomProduct, RoomStatus, RoomViewer, RoomVote, ViewerSample
from livestream.services.rooms import can_host
from livestream.services.stats import PINNED_DEALS

# --- chat ---------------------------------------------------------------------------------------


def chat_message_post(*, room: Room, user, text: str) -> ChatMessage:
    """Store a chat message (signed-in, room not ended, length cap, blocked terms). The caller
    broadcasts :func:`chat_frame` (the consumer through its hub). Rate limits are the socket's."""
    if not user or not user.is_authenticated:
        raise ApplicationError(_("Sign in to chat."), status=403, code=LiveErrorCode.SIGN_IN)
    text = " ".join((text or "").split())
    if not text:
        raise ApplicationError(_("Say something first."), code=LiveErrorCode.EMPTY)
    if len(text) > settings.LIVE_CHAT_MAX_LENGTH:
        raise ApplicationError(
            _("Messages are at most %(n)d characters.") % {"n": settings.LIVE_CHAT_MAX_LENGTH},
            code=LiveErrorCode.TOO_LONG,
        )
    if room.status == RoomStatus.ENDED:
        raise ApplicationError(_("This room has ended."), status=409, code=LiveErrorCode.ROOM_ENDED)
    refuse_if_banned(user)
    # Community's blocked terms (RE2, linear time): a rejecting term raises ``blocked_term``.
    visibility = moderation.screen(texts=[text], user=user)
    with transaction.atomic():
        message = ChatMessage.objects.create(room=room, user=user, text=text, visibility=visibility)
        Room.objects.filter(pk=room.pk).update(messages_count=F("messages_count") + 1)
        if visibility == Visibility.HELD:
            case_hold_open(obj=message, reason="blocked term (hold)")
    if visibility == Visibility.HELD:
        raise ApplicationError(
            _("Your message is waiting for a moderator's review."), code=LiveErrorCode.HELD_FOR_REVIEW
        )
    return message


@transaction.atomic
def chat_message_set_visibility(*, obj: ChatMessage, status: str, by, reason: str = "") -> bool:
    """Hide, remove or restore a chat message. When it stops being visible every viewer's
    screen drops it at once (a ``chat.removed`` event). True if it changed."""
    if status not in Visibility.values:
        raise ApplicationError(_("Unknown visibility."), code=LiveErrorCode.INVALID)
    changed = (
        ChatMessage.objects.filter(pk=obj.pk)
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
        broadcast_on_commit(f"live.room.{obj.room_id}", frame("chat.removed", id=obj.pk))
    return bool(changed)


def chat_message_remove_own(*, message: ChatMessage, user) -> bool:
    """The author deletes their message (or a moderator / the host removes it)."""
    if message.user_id == user.pk:
        return chat_message_set_visibility(obj=message, status=Visibility.REMOVED, by=user)
    room = Room.objects.get(pk=message.room_id)
    if can_host(room=room, user=user):
        return chat_message_set_visibility(obj=message, status=Visibility.HIDDEN, by=user, reason="host")
    raise ApplicationError(_("That message is not yours."), status=403, code=LiveErrorCode.PERMISSION_DENIED)


# --- pins and room-only flash deals ---------------------------------------------------------------


@transaction.atomic
def room_pin(
    *,
    room: Room,
    product_id: int,
    by,
    deal_price: Decimal | None = None,
    deal_quantity: int | None = None,
    deal_minutes: int | None = None,
    per_buyer_limit: int | None = None,
) -> RoomPin:
    """Feature a shelf product ("featured now"), optionally with a room-only flash deal made
    through the marketplace (price, quantity, 1–20 minute countdown, per-buyer limit). Replaces
    the current pin. Every viewer gets a ``pin`` event after commit."""
    from marketplace.services.live_deals import live_deal_create

    if not can_host(room=room, user=by):
        raise ApplicationError(_("Only the host can pin products."), status=403, code=LiveErrorCode.PERMISSION_DENIED)
    refuse_if_banned(by)
    room = Room.objects.select_for_update().get(pk=room.pk)
    if room.status != RoomStatus.LIVE:
        raise ApplicationError(_("Pin products while the room is live."), status=409, code=LiveErrorCode.NOT_LIVE)
    shelf = RoomProduct.objects.select_related("product__shop").filter(room=room, product_id=product_id).first()
    if shelf is None:
        raise ApplicationError(_("That product is not on this room's shelf."), code=LiveErrorCode.NOT_ON_SHELF)
    now = timezone.now()
    deal = None
    if deal_price is not None:
        deal = live_deal_create(
            product=shelf.product,
            audience=f"room:{room.pk}",
            price=deal_price,
            quantity=deal_quantity,
            minutes=deal_minutes or 5,
            per_buyer_limit=per_buyer_limit,
            now=now,
        )
    RoomPin.objects.filter(room=room, unpinned_at__isnull=True).update(unpinned_at=now)
    if deal is not None:  # before the pin and again after its commit (core.cache.Marks)
        PINNED_DEALS.mark_on_commit(deal.pk)
    pin = RoomPin.objects.create(room=room, product=shelf.product, deal=deal, pinned_by=by)
    broadcast_on_commit(room.group, pin_frame(pin, product=shelf.product), tally_frame(shelf))
    return pin


@transaction.atomic
def room_unpin(*, room: Room, by) -> None:
    if not can_host(room=room, user=by):
        raise ApplicationError(_("Only the host can unpin products."), status=403, code=LiveErrorCode.PERMISSION_DENIED)
    RoomPin.objects.filter(room=room, unpinned_at__isnull=True).update(unpinned_at=timezone.now())
    broadcast_on_commit(room.group, pin_frame(None))


def room_deal_grab(*, room: Room, user) -> dict:
    """A viewer in the room presses "grab" on the featured deal: they join its audience (a
    claim), so the cart and checkout give them the deal price. Returns the ``grabbed`` fields."""
    from marketplace.services.live_deals import live_deal_claim

    if not user or not user.is_authenticated:
        raise ApplicationError(_("Sign in to grab the deal."), status=403, code=LiveErrorCode.SIGN_IN)
    pin = RoomPin.objects.select_related("deal__product__shop").filter(room=room, unpinned_at__isnull=True).first()
    if pin is None or pin.deal is None:
        raise ApplicationError(_("There is no deal to grab right now."), status=409, code=LiveErrorCode.NO_DEAL)
    live_deal_claim(deal=pin.deal, buyer=user)
    return {"deal": pin.deal_id, "product": pin.product_id, "price": str(pin.deal.deal_price)}


def pin_watchers_record(*, pin_id: int, user_ids: Iterable[int]) -> int:
    """Record ``WATCHED_LIVE`` for the pinned product for each signed-in viewer who saw the pin
    (once per viewer and pin), so interest profiles learn from live rooms. Returns how many."""
    pin = RoomPin.objects.select_related("product").filter(pk=pin_id).first()
    if pin is None:
        return 0
    return sum(
        activity_record(
            user_id=user_id,
            kind=ActivityKind.WATCHED_LIVE,
            product_id=pin.product_id,
            category_id=pin.product.category_id,
            ref=f"livepin:{pin.pk}",
        )
        is not None
        for user_id in set(user_ids)
    )


# --- votes --------------------------------------------------------------------------------------


def _verdict_percent(yea: int, nay: int) -> int | None:
    return round(100 * yea / (yea + nay)) if yea + nay else None


@transaction.atomic
def room_vote(*, room: Room, product_id: int, user, value: str) -> RoomProduct:
    """A signed-in viewer votes yea or nay on the featured product (once; a new vote changes
    it). Returns the shelf row with the new tally. The product page's verdict cache is bumped
    when the rounded percentage changes."""
    refuse_if_banned(user)
    if not user or not user.is_authenticated:
        raise ApplicationError(_("Sign in to vote."), status=403, code=LiveErrorCode.SIGN_IN)
    if value not in ("yea", "nay"):
        raise ApplicationError(_("Vote yea or nay."), code=LiveErrorCode.INVALID_VOTE)
    current = RoomPin.objects.filter(room=room, unpinned_at__isnull=True)
    pinned_product = current.values_list("product_id", flat=True).first()
    if room.status != RoomStatus.LIVE or pinned_product != product_id:
        raise ApplicationError(
            _("Votes are for the product featured now."), status=409, code=LiveErrorCode.NOT_FEATURED
        )
    # 1. The voter's own row (inserted if missing, then locked).
    RoomVote.objects.bulk_create(
        [RoomVote(room=room, product_id=product_id, user=user, value="")], ignore_conflicts=True
    )
    vote = RoomVote.objects.select_for_update().get(room=room, product_id=product_id, user=user)
    previous = vote.value
    shelf = RoomProduct.objects.filter(room=room, product_id=product_id)
    before = shelf.values_list("yea", "nay").first() or (0, 0)
    if previous != value:
        vote.value = value
        vote.save(update_fields=["value", "updated_at"])
        # 2. The shared tally row, last: one conditional UPDATE.
        if previous == "":
            shelf.update(**{value: F(value) + 1})
        else:
            shelf.filter(**{f"{previous}__gte": 1}).update(**{value: F(value) + 1, previous: F(previous) - 1})
    row = RoomProduct.objects.get(room=room, product_id=product_id)
    if _verdict_percent(*before) != _verdict_percent(row.yea, row.nay):
        bump_on_commit(product_live_tag(product_id))
    return row


# --- hearts and viewers (persisted by each process's hub every few seconds) -----------------------


def room_heart_allowed(*, user) -> None:
    """A viewer may send hearts: anyone, signed in or not, but not a banned person (403
    ``banned``; the consumer sends the error frame and counts nothing)."""
    refuse_if_banned(user)


def room_hearts_add(*, room_id: int, delta: int) -> None:
    if delta > 0:
        Room.objects.filter(pk=room_id).update(hearts=F("hearts") + delta)


def room_viewers_record(
    *, room_id: int, current: int, viewers: Iterable[tuple[str, int | None]] = (), now: datetime | None = None
) -> int:
    """Record what one process's hub saw: the room-wide concurrent count (peak, and the
    per-minute sample for the chart: the highest any process saw) and new unique viewers
    (``(viewer_key, user_id)``). Safe to call from every process at once. Returns the peak."""
    now = now or timezone.now()
    minute = now.replace(second=0, microsecond=0)
    RoomViewer.objects.bulk_create(
        [RoomViewer(room_id=room_id, viewer_key=key, user_id=user_id) for key, user_id in viewers],
        ignore_conflicts=True,
    )
    if current > 0:
        Room.objects.filter(pk=room_id, peak_viewers__lt=current).update(peak_viewers=current)
        sample, created = ViewerSample.objects.get_or_create(
            room_id=room_id, minute=minute, defaults={"viewers": current}
        )
        if not created and sample.viewers < current:
            ViewerSample.objects.filter(pk=sample.pk).update(viewers=Greatest(F("viewers"), current))
    return Room.objects.filter(pk=room_id).values_list("peak_viewers", flat=True).first() or 0
