"""Activity records (from the marketplace's signals) and interest profiles."""

from datetime import timedelta

import pytest
from django.utils import timezone

from community.models import Activity, ActivityKind, InterestProfile
from community.services.activity import activity_clear, activity_record, interest_profile_rebuild
from marketplace import signals
from marketplace.models import Order, Product, Review
from tests.community.factories import UserFactory, make_purchase
from tests.marketplace.factories import CategoryFactory, ProductFactory, ReviewFactory

pytestmark = pytest.mark.django_db


def test_product_viewed_signal_records_a_view(user):
    product = ProductFactory()
    signals.product_viewed.send(sender=Product, user_id=user.pk, product_id=product.pk, category_id=product.category_id)
    activity = Activity.objects.get(user=user)
    assert (activity.kind, activity.product_id, activity.category_id) == (
        ActivityKind.VIEWED,
        product.pk,
        product.category_id,
    )


def test_order_paid_signal_records_each_line_once(user):
    order = make_purchase(user, ProductFactory())
    signals.order_paid.send(sender=Order, order_id=order.pk, buyer_id=user.pk)
    signals.order_paid.send(sender=Order, order_id=order.pk, buyer_id=user.pk)  # a duplicate delivery
    bought = Activity.objects.filter(user=user, kind=ActivityKind.BOUGHT)
    assert bought.count() == 1
    assert bought.get().created_at == order.paid_at


def test_review_posted_signal_records_a_review():
    review = ReviewFactory()
    signals.review_posted.send(
        sender=Review, review_id=review.pk, author_id=review.author_id, product_id=review.product_id
    )
    assert Activity.objects.filter(user=review.author, kind=ActivityKind.REVIEWED, product=review.product).exists()


def test_interest_weights_purchases_above_views_and_decay_with_age(settings):
    settings.INTEREST_HALF_LIFE_DAYS = 14
    user = UserFactory()
    jewellery, food, old = CategoryFactory(), CategoryFactory(), CategoryFactory()
    now = timezone.now()
    activity_record(user_id=user.pk, kind=ActivityKind.BOUGHT, category_id=jewellery.pk, at=now)
    activity_record(user_id=user.pk, kind=ActivityKind.VIEWED, category_id=food.pk, at=now)
    activity_record(user_id=user.pk, kind=ActivityKind.BOUGHT, category_id=old.pk, at=now - timedelta(days=28))

    weights = interest_profile_rebuild(user_id=user.pk, now=now)

    assert weights[jewellery.pk] == pytest.approx(5.0)
    assert weights[food.pk] == pytest.approx(1.0)
    assert weights[old.pk] == pytest.approx(5.0 / 4)  # two half-lives
    assert InterestProfile.objects.filter(user=user).count() == 3


def test_rebuilding_twice_gives_the_same_rows():
    user = UserFactory()
    now = timezone.now()
    for days in range(5):
        activity_record(
            user_id=user.pk, kind=ActivityKind.VIEWED, product_id=ProductFactory().pk, at=now - timedelta(days=days)
        )
    first = interest_profile_rebuild(user_id=user.pk, now=now)
    rows = list(InterestProfile.objects.filter(user=user).order_by("category_id").values_list("category_id", "weight"))
    assert interest_profile_rebuild(user_id=user.pk, now=now) == first
    again = list(InterestProfile.objects.filter(user=user).order_by("category_id").values_list("category_id", "weight"))
    assert again == rows


def test_activity_outside_the_window_or_after_now_is_ignored():
    user = UserFactory()
    category = CategoryFactory()
    now = timezone.now()
    activity_record(user_id=user.pk, kind=ActivityKind.BOUGHT, category_id=category.pk, at=now - timedelta(days=91))
    activity_record(user_id=user.pk, kind=ActivityKind.BOUGHT, category_id=category.pk, at=now + timedelta(hours=1))
    assert interest_profile_rebuild(user_id=user.pk, now=now) == {}


def test_clearing_history_forgets_interests_too(user):
    activity_record(user_id=user.pk, kind=ActivityKind.VIEWED, product_id=ProductFactory().pk)
    interest_profile_rebuild(user_id=user.pk, now=timezone.now())
    assert activity_clear(user=user) == 1
    assert not Activity.objects.filter(user=user).exists()
    assert not InterestProfile.objects.filter(user=user).exists()
