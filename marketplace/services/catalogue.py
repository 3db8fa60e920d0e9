"""Catalogue writes: shops, products, moderation, product views, and cache invalidation.

Every write that changes what a product page or list shows ends with a cache bump, scheduled
on commit (``core/cache.py``; the tags are in ``marketplace/caching.py``). Other sub-domains
call :func:`product_cache_bump` after changing a product's stock, sales count, rating or deals.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from core import moderation
from core.cache import add_once, bump_on_commit
from core.errors import ApplicationError
from core.signals import send_on_commit
from core.visibility import Visibility, visibility_update
from marketplace import signals
from marketplace.caching import TAG_ALL, TAG_LISTS, product_tag, shop_products_tag
from marketplace.errors import CatalogueErrorCode
from marketplace.models import Category, Product, ProductStatus, ProductView, Shop
from marketplace.services.images import image_clean
from marketplace.services.search import product_search_refresh

#: Statuses a seller may choose (removing is ``product_remove``; hiding is for moderators).
SELLER_STATUSES = (ProductStatus.DRAFT, ProductStatus.ACTIVE)
#: A signed-in user's repeated views of one product within this many seconds count once.
PRODUCT_VIEW_DEDUPE_SECONDS = 600


# --- cache invalidation (public: other sub-domains call these) -----------------------------------


def product_cache_bump(product_id: int, *, shop_id: int) -> None:
    """Invalidate the cached page of one product, every cached list and its shop's "more from
    this shop" (``shop_id``: the product's shop), on commit.

    Call after any write that changes what the product shows: stock, sales count, rating,
    reviews, a deal of it created/approved/edited. Safe to call inside a transaction.
    """
    bump_on_commit(TAG_LISTS, product_tag(product_id), shop_products_tag(shop_id))


def product_cache_bump_many(product_ids, *, shop_id: int) -> None:
    """:func:`product_cache_bump` for several products of one shop."""
    bump_on_commit(TAG_LISTS, shop_products_tag(shop_id), *(product_tag(pk) for pk in set(product_ids)))


def shop_cache_bump(*, shop: Shop) -> None:
    """Invalidate the cached pages of all of a shop's products and every list, on commit (the
    shop's name and status show on them). The shop page header itself is never cached."""
    product_cache_bump_many(Product.objects.filter(shop=shop).values_list("id", flat=True), shop_id=shop.pk)


def catalogue_cache_bump_all() -> None:
    """Invalidate every cached catalogue page and API list, on commit. Call when a sale's
    start/end time changes or a sale is created or deleted (prices are cached until the next
    sale boundary known at build time), or when categories change."""
    bump_on_commit(TAG_ALL, TAG_LISTS)


# --- helpers -----------------------------------------------------------------------------------


def _full_clean(instance, *, exclude=None) -> None:
    try:
        instance.full_clean(exclude=exclude, validate_unique=False)
    except ValidationError as exc:
        fields = exc.message_dict
        field, messages = next(iter(fields.items()))
        message = messages[0] if field == "__all__" else f"{field}: {messages[0]}"
        raise ApplicationError(message, code=CatalogueErrorCode.INVALID, extra={"fields": fields}) from exc


# --- shops -------------------------------------------------------------------------------------


def _shop_exists() -> ApplicationError:
    return ApplicationError(_("You already have a shop."), status=409, code=CatalogueErrorCode.SHOP_EXISTS)


def _slug_taken() -> ApplicationError:
    return ApplicationError(
        _("That shop address is taken; choose another."), status=409, code=CatalogueErrorCode.SLUG_TAKEN
    )


@transaction.atomic
def shop_create(*, owner, name: str, slug: str = "", description: str = "", logo=None) -> Shop:
    """Open the user's one shop. ``slug`` defaults to one made from the name. Two requests at
    once (the same user twice, or two users with the same name) are told 409 ``shop_exists`` /
    ``slug_taken`` like later ones: the unique constraints decide, the loser is told why."""
    if Shop.objects.filter(owner=owner).exists():
        raise _shop_exists()
    slug = (slug or slugify(name) or "").strip().lower()
    if not slug:
        raise ApplicationError(
            _("Choose a web address for the shop (letters, digits and hyphens)."),
            code=CatalogueErrorCode.INVALID,
            extra={},
        )
    if Shop.objects.filter(slug=slug).exists():
        raise _slug_taken()
    shop = Shop(owner=owner, name=name.strip(), slug=slug, description=description.strip())
    shop.visibility = moderation.posting_check(user=owner, texts=[shop.name, shop.description])
    _full_clean(shop, exclude=["logo", "owner"])
    if logo is not None:
        clean = image_clean(upload=logo)
        shop.logo.save(clean.content.name, clean.content, save=False)
    try:
        with transaction.atomic():
            shop.save()
    except IntegrityError as exc:  # a concurrent request won the owner's or the slug's unique constraint
        raise (_shop_exists() if Shop.objects.filter(owner=owner).exists() else _slug_taken()) from exc
    if shop.visibility == Visibility.HELD:
        moderation.held(obj=shop, reason="blocked term (hold)")
    bump_on_commit(TAG_LISTS)
    return shop


@transaction.atomic
def shop_update(*, shop: Shop, name: str | None = None, description: str | None = None, logo=None) -> Shop:
    """Change a shop's name, description or logo. The slug (its address) does not change.
    A banned owner cannot (403 ``banned``)."""
    moderation.posting_allowed(shop.owner)
    fields = []
    if name is not None and name.strip() != shop.name:
        shop.name, fields = name.strip(), [*fields, "name"]
    if description is not None and description.strip() != shop.description:
        shop.description, fields = description.strip(), [*fields, "description"]
    _full_clean(shop, exclude=["logo", "owner"])
    _screen_edit(
        obj=shop, user=shop.owner, texts=[shop.name, shop.description] if fields else [], hold=shop_set_visibility
    )
    if logo is not None:
        clean = image_clean(upload=logo)
        shop.logo.save(clean.content.name, clean.content, save=False)
        fields.append("logo")
    if fields:
        shop.save(update_fields=fields)
        if "name" in fields:  # the shop's name is part of its products' search documents
            product_search_refresh(shop_id=shop.id)
        shop_cache_bump(shop=shop)
    return shop


def _screen_edit(*, obj, user, texts, hold) -> None:
    """Check edited text like new text: refused (ban, rejecting term), or held for review
    (``hold`` is the kind's visibility service)."""
    if not texts:
        return
    if moderation.posting_check(user=user, texts=texts) == Visibility.HELD and obj.visibility == Visibility.VISIBLE:
        hold(obj=obj, status=Visibility.HELD, by=None, reason="blocked term (hold)")
        moderation.held(obj=obj, reason="blocked term (hold)")


def _check_visibility(status: str) -> None:
    if status not in Visibility.values:
        raise ApplicationError(_("Unknown visibility."), code=CatalogueErrorCode.INVALID_STATUS)


@transaction.atomic
def shop_set_visibility(*, obj: Shop, status: str, by, reason: str = "") -> bool:
    """THE way a shop's visibility changes (moderators, the queue, bans). A shop that is not
    visible hides all its products (``product_public_q``); restoring it brings them back as
    they were. True if it changed."""
    _check_visibility(status)
    changed = visibility_update(obj=obj, status=status, by=by, reason=reason) is not None
    if changed:
        shop_cache_bump(shop=obj)
    return changed


def shop_follower_count_change(*, shop_id: int, by: int) -> bool:
    """Move the shop's denormalised ``follower_count`` by ``by`` (+1 / -1): the one writer of that
    column. Community calls it in the transaction that created or deleted the follow, so the count
    moves exactly when a follow row does; it never goes below zero. True if the row changed.
    The shop page shows it within its cache time (``SHOP_PAGE_TTL``)."""
    rows = Shop.objects.filter(pk=shop_id)
    if by < 0:
        rows = rows.filter(follower_count__gte=-by)
    return rows.update(follower_count=F("follower_count") + by) == 1


# --- categories --------------------------------------------------------------------------------


@transaction.atomic
def category_save(*, category: Category) -> Category:
    """Save a new or edited category (moderators' admin). Its name is part of the search
    documents of its products and its descendants' products, which are rebuilt."""
    renamed = category.pk is not None and not Category.objects.filter(pk=category.pk, name=category.name).exists()
    category.save()
    if renamed:
        product_search_refresh(category_path=category.path)
    catalogue_cache_bump_all()
    return category


# --- products ----------------------------------------------------------------------------------


@transaction.atomic
def product_create(
    *,
    shop: Shop,
    category: Category,
    title: str,
    price: Decimal,
    description: str = "",
    stock: int = 0,
    status: str = ProductStatus.DRAFT,
) -> Product:
    if status not in (ProductStatus.DRAFT, ProductStatus.ACTIVE):
        raise ApplicationError(_("A new product is either a draft or active."), code=CatalogueErrorCode.INVALID_STATUS)
    product = Product(
        shop=shop,
        category=category,
        title=title.strip(),
        description=description.strip(),
        price=price,
        stock=stock,
        status=status,
    )
    product.visibility = moderation.posting_check(user=shop.owner, texts=[product.title, product.description])
    _full_clean(product)
    product.save()
    if product.visibility == Visibility.HELD:
        moderation.held(obj=product, reason="blocked term (hold)")
    product_search_refresh(product_ids=[product.id])
    product_cache_bump(product.id, shop_id=product.shop_id)
    return product


PRODUCT_EDITABLE = ("category", "title", "description", "price", "stock", "status")


@transaction.atomic
def product_update(*, product: Product, **changes) -> Product:
    """Change some of a product's fields (``PRODUCT_EDITABLE``). Only the fields that change
    are written, so an edit never overwrites stock a concurrent checkout just took. A banned
    seller cannot (403 ``banned``)."""
    moderation.posting_allowed(product.shop.owner)
    unknown = set(changes) - set(PRODUCT_EDITABLE)
    if unknown:
        raise ApplicationError(
            _("These fields cannot be changed: %(fields)s.") % {"fields": ", ".join(sorted(unknown))},
            code=CatalogueErrorCode.INVALID,
        )
    status = changes.get("status")
    if status is not None and status != product.status:
        if product.visibility in (Visibility.HIDDEN, Visibility.HELD):
            raise ApplicationError(
                _("A moderator hid this product; only a moderator can restore it."),
                status=403,
                code=CatalogueErrorCode.HIDDEN,
            )
        if status not in SELLER_STATUSES:
            raise ApplicationError(_("Choose draft or active."), code=CatalogueErrorCode.INVALID_STATUS)
        if product.visibility == Visibility.REMOVED:
            raise ApplicationError(_("This product was removed."), status=409, code=CatalogueErrorCode.REMOVED)
    for key in ("title", "description"):
        if key in changes and changes[key] is not None:
            changes[key] = changes[key].strip()
    fields = [key for key, value in changes.items() if value is not None and getattr(product, key) != value]
    for key in fields:
        setattr(product, key, changes[key])
    _full_clean(product)
    edited = [getattr(product, key) for key in ("title", "description") if key in fields]
    _screen_edit(obj=product, user=product.shop.owner, texts=edited, hold=product_set_visibility)
    if fields:
        product.save(update_fields=[*fields, "updated_at"])
        if {"title", "description", "category"} & set(fields):
            product_search_refresh(product_ids=[product.id])
        product_cache_bump(product.id, shop_id=product.shop_id)
    return product


@transaction.atomic
def product_remove(*, product: Product, by) -> Product:
    """The seller removes a product: its visibility becomes REMOVED (it stays for past orders
    and is shown to nobody). A product a moderator hid or holds cannot be removed by its seller.
    Only the owner removes (moderators hide through the moderation tools)."""
    if product.shop.owner_id != by.id:
        raise ApplicationError(
            _("Only the shop's owner may change this."), status=403, code=CatalogueErrorCode.NOT_OWNER
        )
    if product.visibility in (Visibility.HIDDEN, Visibility.HELD):
        raise ApplicationError(_("A moderator hid this product."), status=403, code=CatalogueErrorCode.HIDDEN)
    product_set_visibility(obj=product, status=Visibility.REMOVED, by=by, reason="removed by its seller")
    return product


@transaction.atomic
def product_set_visibility(*, obj: Product, status: str, by, reason: str = "") -> bool:
    """THE way a product's visibility changes (seller removal, moderators, the queue, bans).
    The seller's own status (draft/active) is untouched, so a restore brings back exactly what
    was there. True if it changed."""
    _check_visibility(status)
    changed = visibility_update(obj=obj, status=status, by=by, reason=reason) is not None
    if changed:
        Product.objects.filter(pk=obj.pk).update(updated_at=timezone.now())
        product_cache_bump(obj.id, shop_id=obj.shop_id)
    return changed


def product_view_record(*, user, product_id: int, category_id: int | None = None) -> bool:
    """Record that a signed-in user viewed a product (for interest profiles) and tell upper
    apps (``product_viewed``, on commit). Repeat views within a few minutes count once."""
    if not add_once(f"pview:{user.id}:{product_id}", timeout=PRODUCT_VIEW_DEDUPE_SECONDS):
        return False
    with transaction.atomic():
        ProductView.objects.create(user=user, product_id=product_id)
        send_on_commit(
            signals.product_viewed, sender=Product, user_id=user.id, product_id=product_id, category_id=category_id
        )
    return True
