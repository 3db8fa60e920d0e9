"""Reviews by verified buyers, and the rating aggregates they feed.

A product's and a shop's ``rating_avg``/``rating_count`` are recomputed from their visible
reviews in the transaction that changes a review, with the product and shop rows locked
(``SELECT ... FOR UPDATE``, product then shop): two reviews posted at once are counted one
after the other, so the aggregates always match the visible reviews.
"""

from collections.abc import Sequence
from contextlib import suppress
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.db.models import Avg, Count
from django.utils.translation import gettext as _

from core import moderation
from core.cache import bump_on_commit
from core.errors import ApplicationError
from core.signals import send_on_commit
from core.throttles import action_limit
from core.visibility import Visibility, visibility_update
from marketplace.caching import TAG_LISTS, product_tag, shop_products_tag
from marketplace.errors import ReviewErrorCode
from marketplace.models import OrderStatus, Product, Review, ReviewImage, Shop
from marketplace.selectors.orders import order_line_get_reviewable, review_get_for_author
from marketplace.services.images import image_clean
from marketplace.services.orders import order_complete
from marketplace.signals import review_posted

MAX_IMAGES_PER_REVIEW = 6


def _average(rows) -> tuple[Decimal, int]:
    aggregate = rows.filter(visibility=Visibility.VISIBLE).aggregate(avg=Avg("rating"), n=Count("id"))
    avg = Decimal(str(aggregate["avg"] or 0)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return avg, aggregate["n"]


def _ratings_recompute(*, product_id: int, shop_id: int) -> None:
    """Call with the product and shop rows locked."""
    avg, count = _average(Review.objects.filter(product_id=product_id))
    Product.objects.filter(pk=product_id).update(rating_avg=avg, rating_count=count)
    avg, count = _average(Review.objects.filter(shop_id=shop_id))
    Shop.objects.filter(pk=shop_id).update(rating_avg=avg, rating_count=count)
    bump_on_commit(TAG_LISTS, product_tag(product_id), shop_products_tag(shop_id))


def _lock(*, product_id: int, shop_id: int) -> None:
    Product.objects.select_for_update().filter(pk=product_id).first()
    Shop.objects.select_for_update().filter(pk=shop_id).first()


def _rating_validate(rating) -> None:
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        raise ApplicationError(_("The rating must be a whole number from 1 to 5."), code=ReviewErrorCode.INVALID_RATING)


def _text_clean(text: str) -> str:
    text = text.strip()
    if len(text) > 4000:
        raise ApplicationError(_("Reviews are at most 4000 characters."), code=ReviewErrorCode.TEXT_TOO_LONG)
    return text


@transaction.atomic
def review_create(*, author, order_line_id: int, rating: int, text: str = "", images: Sequence = ()) -> Review:
    """The buyer reviews one line of a delivered (or completed) order, once. Images are validated
    and cleaned like product images. Reviewing a delivered order completes it."""
    action_limit("review", user_id=author.pk)
    line = order_line_get_reviewable(user=author, line_id=order_line_id)
    _rating_validate(rating)
    text = _text_clean(text)
    visibility = moderation.posting_check(user=author, texts=[text])  # bans, blocked terms
    if len(images) > MAX_IMAGES_PER_REVIEW:
        raise ApplicationError(
            _("At most %(count)s images per review.") % {"count": MAX_IMAGES_PER_REVIEW},
            code=ReviewErrorCode.TOO_MANY_IMAGES,
        )
    cleaned = [image_clean(upload=upload) for upload in images]
    order = line.order
    _lock(product_id=line.product_id, shop_id=order.shop_id)
    try:
        with transaction.atomic():
            review = Review.objects.create(
                order_line=line,
                product_id=line.product_id,
                shop_id=order.shop_id,
                author=author,
                rating=rating,
                text=text,
                visibility=visibility,
            )
    except IntegrityError as exc:  # a concurrent request reviewed the same line first
        raise ApplicationError(
            _("You already reviewed this purchase."), status=409, code=ReviewErrorCode.ALREADY_REVIEWED
        ) from exc
    if visibility == Visibility.HELD:
        moderation.held(obj=review, reason="blocked term (hold)")
    for clean in cleaned:
        image = ReviewImage(review=review)
        image.image.save(clean.content.name, clean.content, save=False)
        image.save()
    _ratings_recompute(product_id=line.product_id, shop_id=order.shop_id)
    if order.status == OrderStatus.DELIVERED:
        with suppress(ApplicationError):  # completed meanwhile (the daily job): nothing to do
            order_complete(order=order)
    send_on_commit(review_posted, sender=Review, review_id=review.pk, author_id=author.pk, product_id=review.product_id)
    return review


@transaction.atomic
def review_update(*, author, review_id: int, rating: int | None = None, text: str | None = None) -> Review:
    """The author edits their review's rating and/or text (the same rules as posting); the
    product's and shop's ratings follow. A review a moderator hid stays hidden; edited text is
    checked like new text (a ban: 403 ``banned``; a rejecting term; a holding term holds it)."""
    review = review_get_for_author(user=author, review_id=review_id)
    fields = []
    if rating is not None:
        _rating_validate(rating)
        review.rating = rating
        fields.append("rating")
    if text is not None:
        review.text = _text_clean(text)
        fields.append("text")
    moderation.posting_allowed(author)
    held = text is not None and moderation.screen(texts=[review.text], user=author) == Visibility.HELD
    if fields:
        _lock(product_id=review.product_id, shop_id=review.shop_id)
        review.save(update_fields=fields)
        if "rating" in fields:
            _ratings_recompute(product_id=review.product_id, shop_id=review.shop_id)
        else:
            bump_on_commit(product_tag(review.product_id))
    if held and review.visibility == Visibility.VISIBLE:
        review_set_visibility(obj=review, status=Visibility.HELD, by=None, reason="blocked term (hold)")
        moderation.held(obj=review, reason="blocked term (hold)")
    return review


@transaction.atomic
def review_delete(*, author, review_id: int) -> None:
    """The author deletes their review (and its images); the ratings follow. The order line can
    be reviewed again."""
    review = review_get_for_author(user=author, review_id=review_id)
    _lock(product_id=review.product_id, shop_id=review.shop_id)
    Review.objects.filter(pk=review.pk).delete()
    _ratings_recompute(product_id=review.product_id, shop_id=review.shop_id)


@transaction.atomic
def review_set_visibility(*, obj: Review, status: str, by, reason: str = "") -> bool:
    """THE way a review's visibility changes (moderators, the queue, bans). Returns False if it
    already had that status. Reviews that are not visible leave the product's and shop's ratings."""
    if status not in Visibility.values:
        raise ApplicationError(_("Unknown visibility."), code=ReviewErrorCode.INVALID_STATUS)
    _lock(product_id=obj.product_id, shop_id=obj.shop_id)
    changed = visibility_update(obj=obj, status=status, by=by, reason=reason) is not None
    if changed:
        _ratings_recompute(product_id=obj.product_id, shop_id=obj.shop_id)
    return changed
