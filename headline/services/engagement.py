"""Likes, comments, views, click-throughs, and the orders a click led to.

Every counter on ``Story`` moves in the same transaction as the row that justifies it, and only
when that row really changed — the checkout's ``_take_stock`` pattern, where the ``WHERE``
clause is the invariant:

* like: the ``(story, user)`` unique constraint admits one like per person; ``like_count + 1``
  only when the insert happened, ``like_count - 1 WHERE like_count > 0`` only when a delete did;
* comment: ``comment_count`` follows the comments whose visibility flips to or from VISIBLE
  (a conditional ``UPDATE … WHERE visibility = <from>``), so hide/restore races count once;
* view and click: counted once per viewer per day (a cache ``add`` is the claim), then ``+ 1``;
* order: a ``StoryOrder`` row per order (unique) is the claim, then ``order_count + 1``; a
  cancelled order deletes it and only the delete that happened counts down.

Lock order: the story row is the only shared hot row, updated last in each transaction.
"""

from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from community.models import ActivityKind, User
from community.services.activity import activity_record
from community.services.feeds import question_feed_rebuild_soon
from core import moderation
from core.cache import Marks
from core.errors import ApplicationError
from core.visibility import Visibility
from headline.errors import StoryErrorCode
from headline.models import Story, StoryClick, StoryComment, StoryLike, StoryOrder, StoryProduct

COMMENT_MAX = 2000


def _count(story_id: int, field: str, delta: int) -> None:
    """``field = field + delta`` on the story row; a decrement never goes below zero."""
    stories = Story.objects.filter(pk=story_id)
    if delta < 0:
        stories = stories.filter(**{f"{field}__gte": -delta})
    stories.update(**{field: F(field) + delta})


# --- likes -----------------------------------------------------------------------------------


@transaction.atomic
def story_like(*, user: User, story: Story) -> bool:
    """``user`` likes a public ``story``; True if this call added the like (a second or
    concurrent like by the same person adds nothing). A new like records ``LIKED_STORY``
    activity for each product the story mentions, so interest profiles learn from stories,
    and the liker's interests and feeds are rebuilt soon after commit."""
    moderation.posting_allowed(user)
    try:
        with transaction.atomic():  # a savepoint: the unique constraint refuses a second like
            StoryLike.objects.create(story=story, user=user)
    except IntegrityError:
        return False
    _count(story.pk, "like_count", +1)
    mentioned = StoryProduct.objects.filter(story=story).values_list("product_id", "product__category_id")
    recorded = 0
    for product_id, category_id in mentioned:
        recorded += bool(
            activity_record(
                user_id=user.pk,
                kind=ActivityKind.LIKED_STORY,
                product_id=product_id,
                category_id=category_id,
                ref=f"story:{story.pk}:{product_id}",
            )
        )
    if recorded:
        question_feed_rebuild_soon(user_id=user.pk)
    return True


@transaction.atomic
def story_unlike(*, user: User, story: Story) -> bool:
    """Undo ``user``'s like; True if a like was removed (counted down once however often). A
    banned person's likes stay as they are (403 ``banned``), like their votes."""
    moderation.posting_allowed(user)
    deleted, _ = StoryLike.objects.filter(story=story, user=user).delete()
    if deleted:
        _count(story.pk, "like_count", -1)
    return bool(deleted)


# --- comments --------------------------------------------------------------------------------


@transaction.atomic
def comment_post(*, author: User, story: Story, body: str, parent: StoryComment | None = None) -> StoryComment:
    """Comment on a public story, or reply to one of its top-level comments (replies are one
    level deep: a reply to a reply is attached to that reply's parent)."""
    body = (body or "").strip()
    if not body:
        raise ApplicationError(_("Write something first."), code=StoryErrorCode.COMMENT_EMPTY)
    if len(body) > COMMENT_MAX:
        raise ApplicationError(
            _("A comment may be at most %(n)d characters.") % {"n": COMMENT_MAX}, code=StoryErrorCode.COMMENT_TOO_LONG
        )
    if parent is not None:
        if parent.story_id != story.pk:
            raise ApplicationError(_("That comment is on another story."), code=StoryErrorCode.COMMENT_WRONG_STORY)
        if parent.parent_id is not None:
            parent = StoryComment(pk=parent.parent_id, story_id=story.pk)
    visibility = moderation.posting_check(user=author, texts=[body])  # bans, blocked terms
    comment = StoryComment.objects.create(story=story, author=author, body=body, parent=parent, visibility=visibility)
    if visibility == Visibility.HELD:  # not counted until a moderator lets it through
        moderation.held(obj=comment, reason="blocked term (hold)")
        return comment
    _count(story.pk, "comment_count", +1)
    return comment


@transaction.atomic
def comment_set_visibility(*, obj: StoryComment, status: str, by: User | None, reason: str = "") -> bool:
    """THE way a comment's visibility changes (author delete = REMOVED, moderator hide and
    restore). The flip is a conditional UPDATE on the status read, so ``comment_count``
    follows exactly once even when two moderators act at once. Returns whether it changed."""
    if status not in Visibility.values:
        raise ApplicationError(_("Unknown visibility."), code=StoryErrorCode.INVALID_VISIBILITY)
    current = StoryComment.objects.filter(pk=obj.pk).values_list("visibility", flat=True).first()
    if current is None or current == status:
        return False
    changed = StoryComment.objects.filter(pk=obj.pk, visibility=current).update(
        visibility=status,
        visibility_changed_at=timezone.now(),
        visibility_changed_by=by,
        visibility_reason=(reason or "")[:500],
    )
    if not changed:
        return False
    if current == Visibility.VISIBLE:
        _count(obj.story_id, "comment_count", -1)
    elif status == Visibility.VISIBLE:
        _count(obj.story_id, "comment_count", +1)
    obj.visibility = status
    return True


def comment_delete(*, comment: StoryComment, by: User) -> bool:
    return comment_set_visibility(obj=comment, status=Visibility.REMOVED, by=by, reason="deleted by its author")


# --- views and clicks ------------------------------------------------------------------------


def _seconds_left_today(now: datetime) -> int:
    local = timezone.localtime(now)
    midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(1, int((midnight - local).total_seconds()))


def _first_today(key: str, now: datetime) -> bool:
    """Claim ``key`` for the rest of today's local date (True the first time only)."""
    return cache.add(key, 1, timeout=_seconds_left_today(now))


def story_view_record(*, story: Story, viewer: str, now: datetime | None = None) -> bool:
    """Count a view of ``story`` by ``viewer`` (``"u<id>"`` or an anonymous visitor's key)
    once per local day. Returns whether this view counted."""
    now = now or timezone.now()
    day: date = timezone.localdate(now)
    if not _first_today(f"hl:view:{story.pk}:{viewer}:{day:%Y%m%d}", now):
        return False
    _count(story.pk, "view_count", +1)
    return True


@transaction.atomic
def story_click(
    *,
    story: Story,
    user: User | None,
    viewer: str,
    product_id: int | None = None,
    shop_id: int | None = None,
    now: datetime | None = None,
) -> bool:
    """A click on one of the story's cards (a product or shop it mentions). Counted in
    ``click_count`` once per viewer, card and day; for a signed-in person a ``StoryClick`` is
    kept so an order they place within ``HEADLINE_ATTRIBUTION_HOURS`` is attributed to the
    story. Returns whether the click counted."""
    now = now or timezone.now()
    if user is not None and user.is_authenticated:
        # Kept even when the click does not count again: attribution needs the latest one.
        # Marked first, so an order that can see the click can see the mark.
        STORY_CLICKERS.mark_on_commit(user.pk, at=now.timestamp())
        StoryClick.objects.create(story=story, user=user, product_id=product_id, shop_id=shop_id, created_at=now)
    target = f"p{product_id}" if product_id else f"s{shop_id}"
    if not _first_today(f"hl:click:{story.pk}:{target}:{viewer}:{timezone.localdate(now):%Y%m%d}", now):
        return False
    _count(story.pk, "click_count", +1)
    return True


# --- orders that followed a click ------------------------------------------------------------


#: The people who may have clicked a story card within the attribution window (marked by
#: :func:`story_click` before it keeps the click): an order by anyone else is not attributed
#: without a query (``core.cache.Marks``).
def _story_clickers(since: float) -> list[tuple[int, float]]:
    return Marks.latest(StoryClick.objects.all(), member="user_id", at="created_at", since=since)


STORY_CLICKERS = Marks(
    "headline:clickers", keep_seconds=settings.HEADLINE_ATTRIBUTION_HOURS * 3600, rebuild=_story_clickers
)


def story_order_marks(*, buyer_id: int, **_signal) -> list[tuple]:
    """What :func:`story_order_attribute` asks of the marks, for ``order_placed`` to read ahead
    with the other apps' (``core.signals.DomainSignal.ahead``)."""
    return [(STORY_CLICKERS, buyer_id, None)]


def story_order_attribute(
    *, order_id: int, buyer_id: int, shop_id: int, product_ids, placed_at: datetime
) -> StoryOrder | None:
    """Attribute an order to the story whose card its buyer clicked last within
    ``HEADLINE_ATTRIBUTION_HOURS`` before ``placed_at`` — a card of one of the ordered products
    or of the order's shop (never the buyer's own story). Idempotent per order: the unique
    ``StoryOrder.order`` row is the claim, and ``order_count`` moves only with it (one
    transaction). Most orders follow no click: that is one cache round trip when the buyer
    clicked no card in the window (:data:`STORY_CLICKERS`), else one read, and no transaction
    (this runs after every checkout's commit)."""
    since = placed_at - timedelta(hours=settings.HEADLINE_ATTRIBUTION_HOURS)
    if not STORY_CLICKERS.may_exist(buyer_id, since=since.timestamp()):
        return None
    click = (
        StoryClick.objects.filter(user_id=buyer_id, created_at__gte=since, created_at__lte=placed_at)
        .filter(Q(product_id__in=list(product_ids)) | Q(shop_id=shop_id))
        .exclude(story__author_id=buyer_id)
        .order_by("-created_at", "-id")
        .first()
    )
    if click is None:
        return None
    with transaction.atomic():
        try:
            with transaction.atomic():
                attribution = StoryOrder.objects.create(story_id=click.story_id, order_id=order_id, click=click)
        except IntegrityError:
            return None  # already attributed (a retried or duplicated signal)
        _count(click.story_id, "order_count", +1)
    return attribution


@transaction.atomic
def story_order_retract(*, order_id: int) -> bool:
    """A cancelled or expired order no longer counts for the story it was attributed to."""
    attribution = StoryOrder.objects.filter(order_id=order_id).first()
    if attribution is None:
        return False
    deleted, _ = StoryOrder.objects.filter(pk=attribution.pk).delete()
    if deleted:
        _count(attribution.story_id, "order_count", -1)
    return bool(deleted)
