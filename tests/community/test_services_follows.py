"""Follows of users and shops: idempotent, no self-follow, the shop's follower count stays right."""

import pytest
from django.db import IntegrityError

from community.models import Notification, NotificationKind, ShopFollow, UserFollow
from community.services.people import shop_follow, shop_unfollow, user_follow, user_unfollow
from core.errors import ApplicationError
from tests.community.factories import UserFactory
from tests.concurrency import raised, run_concurrently
from tests.marketplace.factories import ShopFactory


def follower_count(shop):
    shop.refresh_from_db(fields=["follower_count"])
    return shop.follower_count


@pytest.mark.django_db
def test_following_a_shop_twice_counts_once_and_unfollowing_counts_down(shop, user):
    # when the user follows twice
    assert shop_follow(user=user, shop=shop) is True
    assert shop_follow(user=user, shop=shop) is False
    # then there is one follow and the count is one
    assert ShopFollow.objects.filter(user=user, shop=shop).count() == 1
    assert follower_count(shop) == 1
    # when they unfollow twice
    assert shop_unfollow(user=user, shop=shop) is True
    assert shop_unfollow(user=user, shop=shop) is False
    # then the count is back to zero, not negative
    assert follower_count(shop) == 0


@pytest.mark.django_db
def test_a_seller_cannot_follow_their_own_shop(shop):
    with pytest.raises(ApplicationError):
        shop_follow(user=shop.owner, shop=shop)
    assert follower_count(shop) == 0


@pytest.mark.django_db
def test_following_a_user_is_idempotent_and_tells_them_once(user):
    other = UserFactory()
    assert user_follow(follower=user, user=other) is True
    assert user_follow(follower=user, user=other) is False
    user_unfollow(follower=user, user=other)
    assert user_follow(follower=user, user=other) is True
    assert UserFollow.objects.filter(follower=user, user=other).count() == 1
    assert Notification.objects.filter(recipient=other, kind=NotificationKind.NEW_FOLLOWER).count() == 1


@pytest.mark.django_db
def test_nobody_follows_themselves(user):
    with pytest.raises(ApplicationError):
        user_follow(follower=user, user=user)
    with pytest.raises(IntegrityError):
        UserFollow.objects.create(follower=user, user=user)


@pytest.mark.django_db(transaction=True)
def test_concurrent_follows_by_one_user_count_once(postgres):
    # given a shop and a user
    shop = ShopFactory()
    user = UserFactory()
    # when eight threads follow at once
    errors = raised(run_concurrently([lambda: shop_follow(user=user, shop=shop)] * 8))
    # then one follow, counted once
    assert errors == []
    assert ShopFollow.objects.filter(shop=shop).count() == 1
    assert follower_count(shop) == 1
    # when eight threads unfollow at once
    errors = raised(run_concurrently([lambda: shop_unfollow(user=user, shop=shop)] * 8))
    assert errors == []
    assert follower_count(shop) == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_follows_by_many_users_all_count(postgres):
    shop = ShopFactory()
    users = [UserFactory() for _ in range(10)]
    assert raised(run_concurrently([lambda u=u: shop_follow(user=u, shop=shop) for u in users])) == []
    assert follower_count(shop) == ShopFollow.objects.filter(shop=shop).count() == 10
