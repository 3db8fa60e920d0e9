"""Stories: post (draft or published), edit, delete (soft), moderate, images and mentions, and
the "blogger posted" fan-out to followers.

A story becomes public exactly once: :func:`story_publish` flips ``published_at`` with a
conditional ``UPDATE … WHERE published_at IS NULL`` (the sale clock's pattern), and only the
call that flipped it queues the follower fan-out, whose dedupe key makes a retried job notify
each follower once.
"""

import uuid
from collections.abc import Sequence
from datetime import datetime

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, F, Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from community.models import NotificationKind, User
from community.selectors.people import follower_list
from community.services.notifications import FANOUT_CHUNK, notifications_create_bulk
from core import moderation
from core.errors import ApplicationError
from core.tasks import enqueue_on_commit
from core.visibility import Visibility
from headline.caching import story_tags_bump
from headline.errors import StoryErrorCode
from headline.markdown import render_markdown
from headline.models import Story, StoryImage, StoryProduct, StoryShop, Topic
from marketplace.selectors.catalogue import product_list_public, shop_list_public
from marketplace.services.images import DISPLAY_SIZES, image_clean, image_display_size

TITLE_MAX = 120
BODY_MAX = 20000
MAX_IMAGES = 9
MAX_PRODUCT_MENTIONS = 9
MAX_SHOP_MENTIONS = 3


def _refuse(message: str, code: StoryErrorCode, status: int = 400) -> ApplicationError:
    return ApplicationError(message, status=status, code=code)


def _clean_text(*, title: str, body: str) -> tuple[str, str]:
    title, body = (title or "").strip(), (body or "").strip()
    if not title:
        raise _refuse(_("A story needs a title."), StoryErrorCode.TITLE_REQUIRED)
    if len(title) > TITLE_MAX:
        raise _refuse(_("The title may be at most %(n)d characters.") % {"n": TITLE_MAX}, StoryErrorCode.TITLE_TOO_LONG)
    if not body:
        raise _refuse(_("A story needs some text."), StoryErrorCode.BODY_REQUIRED)
    if len(body) > BODY_MAX:
        raise _refuse(_("The story may be at most %(n)d characters.") % {"n": BODY_MAX}, StoryErrorCode.BODY_TOO_LONG)
    return title, body


def _clean_topic(topic_id: int | None, *, now: datetime) -> Topic | None:
    """Stories may join today's topic or a past one, not one still to come."""
    if topic_id is None:
        return None
    topic = Topic.objects.filter(pk=topic_id, date__lte=timezone.localdate(now)).first()
    if topic is None:
        raise _refuse(_("There is no such topic."), StoryErrorCode.TOPIC_NOT_FOUND)
    return topic


def _pages_changed(story: Story) -> None:
    """Pages that show this story through headline's slots re-render after commit (the home
    section, and the product and shop pages of what it mentions)."""
    product_ids, slugs = [], list(StoryShop.objects.filter(story=story).values_list("shop__slug", flat=True))
    for product_id, slug in StoryProduct.objects.filter(story=story).values_list("product_id", "product__shop__slug"):
        product_ids.append(product_id)
        slugs.append(slug)
    story_tags_bump(product_ids=product_ids, shop_slugs=slugs)


def _unique(ids: Sequence[int] | None) -> list[int]:
    return list(dict.fromkeys(int(i) for i in ids or ()))


def _clean_mentions(product_ids, shop_ids) -> tuple[list[int], list[int]]:
    """Mentioned products and shops must be public (the marketplace's rule) and few."""
    product_ids, shop_ids = _unique(product_ids), _unique(shop_ids)
    if len(product_ids) > MAX_PRODUCT_MENTIONS:
        raise _refuse(
            _("A story can mention at most %(n)d products.") % {"n": MAX_PRODUCT_MENTIONS},
            StoryErrorCode.TOO_MANY_MENTIONS,
        )
    if len(shop_ids) > MAX_SHOP_MENTIONS:
        raise _refuse(
            _("A story can mention at most %(n)d shops.") % {"n": MAX_SHOP_MENTIONS}, StoryErrorCode.TOO_MANY_MENTIONS
        )
    public_products = set(product_list_public().filter(pk__in=product_ids).values_list("pk", flat=True))
    public_shops = set(shop_list_public().filter(pk__in=shop_ids).values_list("pk", flat=True))
    missing = [i for i in product_ids if i not in public_products]
    if missing:
        raise ApplicationError(
            _("A mentioned product is not on sale."), code=StoryErrorCode.PRODUCT_NOT_FOUND, extra={"products": missing}
        )
    missing = [i for i in shop_ids if i not in public_shops]
    if missing:
        raise ApplicationError(
            _("A mentioned shop is not open."), code=StoryErrorCode.SHOP_NOT_FOUND, extra={"shops": missing}
        )
    return product_ids, shop_ids


def story_mentions_set(*, story: Story, product_ids: list[int], shop_ids: list[int]) -> None:
    """Store the (already checked) mentions in order, and what the story is mainly about: the
    first product's category, and the first shop (else the first product's shop)."""
    StoryProduct.objects.filter(story=story).exclude(product_id__in=product_ids).delete()
    StoryShop.objects.filter(story=story).exclude(shop_id__in=shop_ids).delete()
    StoryProduct.objects.bulk_create(
        [StoryProduct(story=story, product_id=pid, position=i) for i, pid in enumerate(product_ids)],
        update_conflicts=True,
        unique_fields=["story", "product"],
        update_fields=["position"],
    )
    StoryShop.objects.bulk_create(
        [StoryShop(story=story, shop_id=sid, position=i) for i, sid in enumerate(shop_ids)],
        update_conflicts=True,
        unique_fields=["story", "shop"],
        update_fields=["position"],
    )
    first_product = (
        product_list_public().filter(pk=product_ids[0]).values("category_id", "shop_id").first()
        if product_ids
        else None
    )
    story.category_id = first_product["category_id"] if first_product else None
    story.shop_id = shop_ids[0] if shop_ids else (first_product["shop_id"] if first_product else None)
    Story.objects.filter(pk=story.pk).update(category_id=story.category_id, shop_id=story.shop_id)


@transaction.atomic
def story_create(
    *,
    author: User,
    title: str,
    body: str,
    topic_id: int | None = None,
    product_ids: Sequence[int] = (),
    shop_ids: Sequence[int] = (),
    images: Sequence = (),
    publish: bool = True,
    now: datetime | None = None,
) -> Story:
    """Post a story (or save a draft when ``publish`` is false): text checked, body rendered
    and sanitised, topic (today's or a past one), mentions of public products and shops, up to
    ``MAX_IMAGES`` uploaded images cleaned by the marketplace's image pipeline. Publishing
    notifies the author's followers after commit."""
    now = now or timezone.now()
    title, body = _clean_text(title=title, body=body)
    topic = _clean_topic(topic_id, now=now)
    product_ids, shop_ids = _clean_mentions(product_ids, shop_ids)
    if len(images) > MAX_IMAGES:
        raise _refuse(_("A story can have at most %(n)d images.") % {"n": MAX_IMAGES}, StoryErrorCode.TOO_MANY_IMAGES)
    visibility = moderation.posting_check(user=author, texts=[title, body])  # bans, blocked terms
    story = Story.objects.create(
        author=author, topic=topic, title=title, body=body, body_html=render_markdown(body), visibility=visibility
    )
    if visibility == Visibility.HELD:
        moderation.held(obj=story, reason="blocked term (hold)")
    story_mentions_set(story=story, product_ids=product_ids, shop_ids=shop_ids)
    for upload in images:
        story_image_add(story=story, upload=upload)
    if publish:
        story_publish(story=story, now=now)
    return story


@transaction.atomic
def story_update(
    *,
    story: Story,
    title: str,
    body: str,
    topic_id: int | None = None,
    product_ids: Sequence[int] = (),
    shop_ids: Sequence[int] = (),
    now: datetime | None = None,
) -> Story:
    """The author edits their story (``story`` from ``story_get_for_author``): same checks as
    :func:`story_create`. A removed story cannot be edited."""
    if story.visibility == Visibility.REMOVED:
        raise _refuse(_("This story was deleted."), StoryErrorCode.STORY_REMOVED, status=404)
    title, body = _clean_text(title=title, body=body)
    topic = _clean_topic(topic_id, now=now or timezone.now())
    product_ids, shop_ids = _clean_mentions(product_ids, shop_ids)
    held = moderation.posting_check(user=story.author, texts=[title, body]) == Visibility.HELD
    _pages_changed(story)  # the pages of what it mentioned before the edit
    story.title, story.body, story.body_html, story.topic = title, body, render_markdown(body), topic
    story.save(update_fields=["title", "body", "body_html", "topic", "updated_at"])
    if held and story_set_visibility(obj=story, status=Visibility.HELD, by=None, reason="blocked term (hold)"):
        moderation.held(obj=story, reason="blocked term (hold)")
    story_mentions_set(story=story, product_ids=product_ids, shop_ids=shop_ids)
    _pages_changed(story)
    return story


@transaction.atomic
def story_publish(*, story: Story, now: datetime | None = None) -> bool:
    """Publish a draft. The conditional UPDATE is the guard: only the call that flips
    ``published_at`` queues the follower notifications (on commit). Returns whether it did.
    A banned author cannot publish (403 ``banned``)."""
    now = now or timezone.now()
    if story.visibility == Visibility.REMOVED:
        raise _refuse(_("This story was deleted."), StoryErrorCode.STORY_REMOVED, status=404)
    moderation.posting_allowed(story.author)
    flipped = Story.objects.filter(pk=story.pk, published_at__isnull=True).update(published_at=now)
    if flipped:
        from headline.tasks import story_followers_notify  # tasks import services

        story.published_at = now
        enqueue_on_commit(story_followers_notify, story.pk)
        _pages_changed(story)
    return bool(flipped)


@transaction.atomic
def story_set_visibility(*, obj: Story, status: str, by: User | None, reason: str = "") -> bool:
    """THE way a story's visibility changes (author delete = REMOVED, moderator hide/restore,
    the moderation queue). Records who, when and why; returns whether it changed. Every read
    goes through ``story_list_public``, so a hidden story leaves every page, feed and API at once."""
    if status not in Visibility.values:
        raise _refuse(_("Unknown visibility."), StoryErrorCode.INVALID_VISIBILITY)
    changed = (
        Story.objects.filter(pk=obj.pk)
        .exclude(visibility=status)
        .update(
            visibility=status,
            visibility_changed_at=timezone.now(),
            visibility_changed_by=by,
            visibility_reason=(reason or "")[:500],
        )
    )
    if changed:
        obj.visibility = status
        _pages_changed(obj)
    return bool(changed)


def story_delete(*, story: Story, by: User) -> bool:
    """The author deletes their story: it is REMOVED (kept for moderators, shown nowhere)."""
    return story_set_visibility(obj=story, status=Visibility.REMOVED, by=by, reason="deleted by its author")


@transaction.atomic
def story_set_featured(*, story: Story, featured: bool) -> bool:
    """A moderator features a story in its topic (it leads the topic's best stories)."""
    changed = Story.objects.filter(pk=story.pk).exclude(featured=featured).update(featured=featured)
    if changed:
        _pages_changed(story)
    return bool(changed)


# --- images ----------------------------------------------------------------------------------


@transaction.atomic
def story_image_add(*, story: Story, upload) -> StoryImage:
    """Attach an uploaded image: validated and cleaned by the marketplace's ``image_clean``;
    display sizes follow (Celery, on commit). At most ``MAX_IMAGES`` per story. A banned author
    adds none (403 ``banned``)."""
    from headline.tasks import story_image_sizes  # tasks import services

    moderation.posting_allowed(story.author)
    clean = image_clean(upload=upload)
    # Lock the story row so concurrent uploads count and position images consistently.
    Story.objects.select_for_update().filter(pk=story.pk).first()
    existing = StoryImage.objects.filter(story=story).aggregate(n=Max("position"), count=Count("id"))
    if existing["count"] >= MAX_IMAGES:
        raise _refuse(_("A story can have at most %(n)d images.") % {"n": MAX_IMAGES}, StoryErrorCode.TOO_MANY_IMAGES)
    image = StoryImage(
        story=story,
        width=clean.width,
        height=clean.height,
        position=(existing["n"] + 1) if existing["n"] is not None else 0,
    )
    image.image.save(clean.content.name, clean.content, save=False)
    image.save()
    enqueue_on_commit(story_image_sizes, image.id)
    return image


@transaction.atomic
def story_image_delete(*, image: StoryImage) -> None:
    files = [f.name for f in (image.image, image.image_320, image.image_960) if f]
    StoryImage.objects.filter(pk=image.pk).delete()
    StoryImage.objects.filter(story_id=image.story_id, position__gt=image.position).update(position=F("position") - 1)
    storage = image.image.storage
    transaction.on_commit(lambda: [storage.delete(name) for name in files])


def story_image_generate_sizes(*, image_id: int) -> bool:
    """Make the 320 px and 960 px WebP display sizes of one story image with the marketplace's
    ``image_display_size``. Idempotent: False when the image is gone or already has them."""
    image = StoryImage.objects.filter(pk=image_id).first()
    if image is None or (image.image_320 and image.image_960):
        return False
    stem = uuid.uuid4().hex
    with image.image.open("rb") as source:
        for side in DISPLAY_SIZES:
            data = image_display_size(source=source, longest_side=side)
            getattr(image, f"image_{side}").save(f"{stem}-{side}.webp", ContentFile(data), save=False)
    # Only fill fields still empty: a concurrent run of the same task cannot overwrite.
    updated = StoryImage.objects.filter(pk=image_id, image_320="").update(
        image_320=image.image_320.name, image_960=image.image_960.name
    )
    if not updated:
        for field in (image.image_320, image.image_960):
            field.storage.delete(field.name)
        return False
    return True


# --- "blogger posted" fan-out ----------------------------------------------------------------


def story_followers_notify(*, story_id: int) -> int:
    """Tell everyone who follows the author of a public story that they posted: one inbox
    entry per follower, exactly once however often this runs (dedupe key ``story:<id>``),
    ``FANOUT_CHUNK`` followers a transaction, keyset-paged. Returns how many this run created."""
    from headline.selectors.stories import story_list_public  # the one visibility rule

    story = story_list_public().select_related("author").filter(pk=story_id).first()
    if story is None:
        return 0
    followers = follower_list(user=story.author).order_by("follower_id").values_list("follower_id", flat=True)
    created, last_id = 0, 0
    while chunk := list(followers.filter(follower_id__gt=last_id)[:FANOUT_CHUNK]):
        last_id = chunk[-1]
        created += notifications_create_bulk(
            recipient_ids=chunk,
            kind=NotificationKind.STORY_POSTED,
            title=gettext_noop("%(name)s posted a story: %(title)s"),
            params={"name": story.author.public_name, "title": story.title},
            subject=("story", story.pk),
            url=story.get_absolute_url(),
            dedupe_key=f"story:{story_id}",
        )
    return created
