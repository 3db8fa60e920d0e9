"""factory_boy factories for marketplace models, one per model, by sub-domain."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from marketplace.models import (
    Category,
    Deal,
    DealStatus,
    Product,
    ProductImage,
    ProductStatus,
    SaleEvent,
    Shop,
    Voucher,
    VoucherClaim,
)
from tests.community.factories import UserFactory

# --- catalogue ---------------------------------------------------------------------------------


class ShopFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shop

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Shop {n}")
    slug = factory.Sequence(lambda n: f"shop-{n}")
    description = "A small shop."


class CategoryFactory(factory.django.DjangoModelFactory):
    """A category (top-level unless ``parent`` is given); ``path`` is set by ``Category.save``."""

    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")
    parent = None


class ProductFactory(factory.django.DjangoModelFactory):
    """An ACTIVE product in stock (public when its shop is active)."""

    class Meta:
        model = Product

    shop = factory.SubFactory(ShopFactory)
    category = factory.SubFactory(CategoryFactory)
    title = factory.Sequence(lambda n: f"Product {n}")
    description = "Made with care."
    price = Decimal("100.00")
    stock = 10
    status = ProductStatus.ACTIVE


class ProductImageFactory(factory.django.DjangoModelFactory):
    """A product image without display sizes (as right after upload)."""

    class Meta:
        model = ProductImage

    product = factory.SubFactory(ProductFactory)
    image = factory.django.ImageField(width=64, height=48, color="red", format="PNG")
    width = 64
    height = 48
    position = factory.Sequence(lambda n: n)


# --- sales -------------------------------------------------------------------------------------


class SaleEventFactory(factory.django.DjangoModelFactory):
    """A sale opening tomorrow for a day (pass ``starts_at``/``ends_at`` to time-travel)."""

    class Meta:
        model = SaleEvent

    name = factory.Sequence(lambda n: f"Sale {n}")
    slug = factory.Sequence(lambda n: f"sale-{n}")
    starts_at = factory.LazyFunction(lambda: timezone.now().replace(microsecond=0) + timedelta(days=1))
    ends_at = factory.LazyAttribute(lambda sale: sale.starts_at + timedelta(days=1))


class DealFactory(factory.django.DjangoModelFactory):
    """An APPROVED 20%-off deal (pass ``deal_price=..., percent_off=None`` for a fixed price)."""

    class Meta:
        model = Deal

    sale = factory.SubFactory(SaleEventFactory)
    product = factory.SubFactory(ProductFactory)
    percent_off = 20
    status = DealStatus.APPROVED


class VoucherFactory(factory.django.DjangoModelFactory):
    """Spend 100, save 10; 10 vouchers; valid from an hour ago for two days."""

    class Meta:
        model = Voucher

    shop = factory.SubFactory(ShopFactory)
    min_spend = Decimal("100.00")
    discount = Decimal("10.00")
    total = 10
    valid_from = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))
    valid_until = factory.LazyAttribute(lambda voucher: voucher.valid_from + timedelta(days=2))


class VoucherClaimFactory(factory.django.DjangoModelFactory):
    """A claim (it does not touch ``Voucher.claimed_count``; the service does)."""

    class Meta:
        model = VoucherClaim

    voucher = factory.SubFactory(VoucherFactory)
    user = factory.SubFactory(UserFactory)
