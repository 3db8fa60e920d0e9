"""Community test actors: shops, products and paid orders built with the ORM (kept small; the
marketplace factories are the reference for marketplace rows)."""

from decimal import Decimal
from itertools import count

import pytest
from django.utils import timezone

from marketplace.models import Category, Order, OrderLine, OrderStatus, Product, ProductStatus, Shop
from tests.community.factories import UserFactory

_seq = count(1)


def make_category(name="Jewellery", slug=None):
    slug = slug or f"{name.lower()}-{next(_seq)}"
    return Category.objects.create(name=name, slug=slug)


def make_shop(owner=None, name=None):
    n = next(_seq)
    return Shop.objects.create(owner=owner or UserFactory(), name=name or f"Shop {n}", slug=f"shop-{n}")


def make_product(shop=None, category=None, title=None, price="99.00"):
    n = next(_seq)
    return Product.objects.create(
        shop=shop or make_shop(),
        category=category or make_category(),
        title=title or f"Product {n}",
        price=Decimal(price),
        stock=10,
        status=ProductStatus.ACTIVE,
    )


def make_order(buyer, product, status=OrderStatus.PAID, paid_at=None):
    paid = status not in (OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED, OrderStatus.EXPIRED)
    order = Order.objects.create(
        buyer=buyer,
        shop=product.shop,
        status=status,
        subtotal=product.price,
        total=product.price,
        paid_at=(paid_at or timezone.now()) if paid else None,
    )
    OrderLine.objects.create(
        order=order,
        product=product,
        title=product.title,
        unit_price=product.price,
        list_price=product.price,
        quantity=1,
    )
    return order


@pytest.fixture
def shop(db):
    return make_shop()


@pytest.fixture
def product(db):
    return make_product()
