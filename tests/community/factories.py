import functools
from decimal import Decimal
from itertools import count

import factory
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from community.models import User
from marketplace.models import Category, Order, OrderLine, OrderStatus, Product, ProductStatus, Shop

PASSWORD = "a-Strong-pass-123"


@functools.cache
def _password_hash() -> str:
    """Hash PASSWORD once per run: hashing per user made user-heavy tests take seconds each."""
    return make_password(PASSWORD)


class UserFactory(factory.django.DjangoModelFactory):
    """A user whose password is ``PASSWORD``."""

    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Faker("first_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.LazyFunction(_password_hash)


class UserFollowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "community.UserFollow"

    follower = factory.SubFactory(UserFactory)
    user = factory.SubFactory(UserFactory)


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "community.Notification"

    recipient = factory.SubFactory(UserFactory)
    kind = "other"
    title = factory.Sequence(lambda n: f"Notification {n}")
    body = "Something happened."
    url = "/"


class ShopFollowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "community.ShopFollow"

    user = factory.SubFactory(UserFactory)
    shop = factory.LazyFunction(lambda: make_shop())


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "community.Activity"

    user = factory.SubFactory(UserFactory)
    kind = "viewed"
    product = factory.LazyFunction(lambda: make_product())
    category = factory.LazyAttribute(lambda a: a.product.category if a.product else None)
    created_at = factory.LazyFunction(timezone.now)


class InterestProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "community.InterestProfile"

    user = factory.SubFactory(UserFactory)
    category = factory.LazyFunction(lambda: make_category())
    weight = 1.0
    computed_at = factory.LazyFunction(timezone.now)


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "community.Question"

    product = factory.LazyFunction(lambda: make_product())
    author = factory.SubFactory(UserFactory)
    text = factory.Sequence(lambda n: f"Is this item number {n} true to size?")


class AnswerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "community.Answer"

    question = factory.SubFactory(QuestionFactory)
    author = factory.SubFactory(UserFactory)
    text = factory.Sequence(lambda n: f"Yes, it fits well ({n}).")


class AnswerVoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "community.AnswerVote"

    answer = factory.SubFactory(AnswerFactory)
    user = factory.SubFactory(UserFactory)
    value = 1


class QuestionInvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "community.QuestionInvitation"

    question = factory.SubFactory(QuestionFactory)
    invitee = factory.SubFactory(UserFactory)


# --- marketplace rows the community tests stand on --------------------------------------------
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
