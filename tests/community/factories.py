import functools

import factory
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from community.models import User
from marketplace.models import OrderStatus

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
    shop = factory.SubFactory("tests.marketplace.factories.ShopFactory")


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "community.Activity"

    user = factory.SubFactory(UserFactory)
    kind = "viewed"
    product = factory.SubFactory("tests.marketplace.factories.ProductFactory")
    category = factory.LazyAttribute(lambda a: a.product.category if a.product else None)
    created_at = factory.LazyFunction(timezone.now)


class InterestProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "community.InterestProfile"

    user = factory.SubFactory(UserFactory)
    category = factory.SubFactory("tests.marketplace.factories.CategoryFactory")
    weight = 1.0
    computed_at = factory.LazyFunction(timezone.now)


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "community.Question"

    product = factory.SubFactory("tests.marketplace.factories.ProductFactory")
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


class QuestionFeedEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "community.QuestionFeedEntry"

    user = factory.SubFactory(UserFactory)
    question = factory.SubFactory(QuestionFactory)
    score = 1.0
    reason = "interest"
    computed_at = factory.LazyFunction(timezone.now)


# --- marketplace rows the community tests stand on --------------------------------------------
# The marketplace factories import UserFactory from here, so they are imported lazily.


def make_purchase(buyer, product, *, status=OrderStatus.PAID, paid_at=None):
    """An order of ``product`` by ``buyer`` in ``status`` (paid ``paid_at``, default now)."""
    from tests.marketplace.factories import OrderLineFactory

    paid = status not in (OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED, OrderStatus.EXPIRED)
    line = OrderLineFactory(
        product=product,
        order__buyer=buyer,
        order__shop=product.shop,
        order__status=status,
        order__paid_at=(paid_at or timezone.now()) if paid else None,
    )
    return line.order


def make_moderator(**kwargs):
    """A staff user in the "Moderators" group, with exactly the group's permissions. The group
    comes from a data migration; a transactional test's flush empties it, so it is (re)made here
    from the migration's own list."""
    import importlib

    from django.contrib.auth.models import Group, Permission

    wanted = [
        *importlib.import_module("community.migrations.0014_moderation").MODERATOR_PERMISSIONS,
        *importlib.import_module("community.migrations.0017_moderators_see_images").IMAGE_PERMISSIONS,
    ]
    group, _ = Group.objects.get_or_create(name="Moderators")
    if not group.permissions.exists():
        group.permissions.set(
            [Permission.objects.get(content_type__app_label=app, codename=codename) for app, codename in wanted]
        )
    kwargs.setdefault("is_staff", True)
    user = UserFactory(**kwargs)
    user.groups.add(group)
    return user
