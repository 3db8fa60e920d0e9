"""Catalogue writes: shops (one per user), products (only changed fields written, moderation
rules), product views, and the cache invalidation other sub-domains rely on."""

from decimal import Decimal

import pytest
from django.db.models import F

from core.cache import cached
from core.errors import ApplicationError
from core.visibility import Visibility
from marketplace import signals
from marketplace.caching import TAG_LISTS, product_tag
from marketplace.models import Category, Product, ProductStatus, ProductView
from marketplace.services import catalogue as services
from tests.community.factories import UserFactory
from tests.marketplace.catalogue_support import image_bytes, upload
from tests.marketplace.factories import ProductFactory, ShopFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded_categories")]


def refused(fn, **kwargs) -> ApplicationError:
    with pytest.raises(ApplicationError) as info:
        fn(**kwargs)
    return info.value


def test_shop_create_makes_a_slug_and_refuses_a_second_shop(user, media_root):
    shop = services.shop_create(owner=user, name="Tea Garden", logo=upload(image_bytes("PNG"), name="logo.png"))

    second = refused(services.shop_create, owner=user, name="Another")

    assert shop.slug == "tea-garden" and shop.logo.name.endswith(".png")
    assert (second.status, second.code) == (409, "shop_exists")


def test_shop_create_needs_an_address_for_a_chinese_name(user):
    assert "web address" in refused(services.shop_create, owner=user, name="美美珍珠").message
    assert services.shop_create(owner=user, name="美美珍珠", slug="meimei").slug == "meimei"


def test_shop_create_refuses_a_taken_or_invalid_slug(user):
    ShopFactory(slug="taken")

    assert refused(services.shop_create, owner=user, name="X", slug="taken").code == "slug_taken"
    assert refused(services.shop_create, owner=user, name="X", slug="no spaces").message.startswith("slug:")


def test_shop_logo_must_be_an_image(user, media_root):
    error = refused(services.shop_create, owner=user, name="Tea", logo=upload(b"<svg/>", name="logo.svg"))

    assert error.code == "image_invalid"


def test_product_create_validates(user):
    shop = ShopFactory(owner=user)
    tea = Category.objects.get(slug="tea")

    assert refused(services.product_create, shop=shop, category=tea, title="X", price=Decimal("0")).message.startswith(
        "price:"
    )
    assert (
        refused(services.product_create, shop=shop, category=tea, title="X", price=Decimal("1"), status="hidden").code
        == "invalid_status"
    )
    product = services.product_create(shop=shop, category=tea, title=" Longjing ", price=Decimal("168.00"), stock=3)
    assert (product.title, product.status) == ("Longjing", ProductStatus.DRAFT)


def test_product_update_writes_only_changed_fields_so_stock_taken_meanwhile_survives():
    # given a product loaded by the seller's edit form
    product = ProductFactory(stock=10, title="Old")
    stale = Product.objects.get(pk=product.pk)
    # and a checkout that takes 3 meanwhile
    Product.objects.filter(pk=product.pk, stock__gte=3).update(stock=F("stock") - 3)

    # when the seller saves a new title with the stock they saw
    services.product_update(product=stale, title="New", stock=10)

    # then stock "10" was not a change from what the form loaded, so the 3 stay taken
    product.refresh_from_db()
    assert (product.title, product.stock) == ("New", 7)


def test_product_update_refuses_unknown_fields_and_moderator_statuses():
    product = ProductFactory()

    assert refused(services.product_update, product=product, shop=ShopFactory()).code == "invalid"
    assert refused(services.product_update, product=product, status="hidden").code == "invalid_status"
    assert refused(services.product_update, product=product, status="removed").code == "invalid_status"
    assert refused(services.product_update, product=product, visibility="hidden").code == "invalid"


def test_remove_hide_and_restore():
    product = ProductFactory()
    owner, moderator = product.shop.owner, UserFactory(is_staff=True)

    assert refused(services.product_remove, product=product, by=moderator).code == "not_owner"
    assert services.product_set_visibility(obj=product, status=Visibility.HIDDEN, by=moderator)
    assert product.visibility == Visibility.HIDDEN
    assert refused(services.product_remove, product=product, by=owner).code == "hidden"
    assert services.product_set_visibility(obj=product, status=Visibility.VISIBLE, by=moderator)
    assert (product.visibility, product.status) == (Visibility.VISIBLE, ProductStatus.ACTIVE)
    services.product_remove(product=product, by=owner)
    removed = Product.objects.get(pk=product.pk)
    assert (removed.visibility, removed.visibility_changed_by, removed.status) == (
        Visibility.REMOVED,
        owner,
        ProductStatus.ACTIVE,
    )
    assert refused(services.product_update, product=removed, status="draft").code == "removed"


def test_shop_hide_hides_its_products_from_lists():
    product = ProductFactory()

    services.shop_set_visibility(obj=product.shop, status=Visibility.HIDDEN, by=None)

    from marketplace.selectors.catalogue import product_list_public

    assert not product_list_public().exists()


def test_product_view_is_recorded_once_and_announced(user, django_capture_on_commit_callbacks):
    product = ProductFactory()
    heard = []

    def receiver(sender, **kwargs):
        heard.append(kwargs)

    signals.product_viewed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            first = services.product_view_record(user=user, product_id=product.id, category_id=product.category_id)
            second = services.product_view_record(user=user, product_id=product.id, category_id=product.category_id)
    finally:
        signals.product_viewed.disconnect(receiver)

    assert (first, second) == (True, False)
    assert ProductView.objects.filter(user=user, product=product).count() == 1
    assert heard == [
        {
            "signal": signals.product_viewed,
            "user_id": user.id,
            "product_id": product.id,
            "category_id": product.category_id,
        }
    ]


def test_product_cache_bump_invalidates_after_commit_only(django_capture_on_commit_callbacks):
    builds = []

    def read():
        return cached(
            "test:key", tags=(TAG_LISTS, product_tag(7)), build=lambda: (builds.append(1) or len(builds), None)
        )

    assert read() == 1 and read() == 1  # cached

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.product_cache_bump(7, shop_id=3)
    assert read() == 1  # not committed yet: still the old entry
    for callback in callbacks:
        callback()

    assert read() == 2


def test_an_evicted_version_is_a_miss_never_a_stale_hit():
    from django.core.cache import cache

    builds = []
    value = cached("test:evict", tags=(product_tag(1),), build=lambda: (builds.append(1) or len(builds), None))
    cache.delete(product_tag(1))

    again = cached("test:evict", tags=(product_tag(1),), build=lambda: (builds.append(1) or len(builds), None))

    assert (value, again) == (1, 2)


def test_the_follower_count_moves_through_its_one_service_and_never_below_zero():
    shop = ShopFactory()

    assert services.shop_follower_count_change(shop_id=shop.pk, by=1) is True
    assert services.shop_follower_count_change(shop_id=shop.pk, by=-1) is True
    assert services.shop_follower_count_change(shop_id=shop.pk, by=-1) is False

    shop.refresh_from_db()
    assert shop.follower_count == 0
