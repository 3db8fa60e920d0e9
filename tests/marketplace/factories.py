"""factory_boy factories for marketplace models, one per model, by sub-domain."""

from decimal import Decimal

import factory

from marketplace.models import Category, Product, ProductImage, ProductStatus, Shop
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
