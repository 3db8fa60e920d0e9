"""People reads: public profiles with their counts and roles, follower and following lists."""

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.db.models import Count, Exists, Expression, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from community.models import Answer, ShopFollow, User, UserFollow
from core.visibility import Visibility
from marketplace.selectors.catalogue import shop_get_public, shop_is_public, shop_public_q

if TYPE_CHECKING:
    from marketplace.models import Shop


def _count_of(queryset, field: str) -> Coalesce:
    """A correlated COUNT(*) of ``queryset`` rows whose ``field`` is the outer user."""
    counted = queryset.filter(**{field: OuterRef("pk")}).order_by().values(field).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


#: What counts as a person's posts besides their answers. An upper app registers, in its
#: ``AppConfig.ready()``, a function giving a correlated count of one author's visible posts of
#: its kind (headline: public stories) — ``count(author=OuterRef("pk")) -> Expression`` — so
#: community never imports it (the page-slot and moderation-registry pattern).
_post_counts: list[Callable[..., Expression]] = []


def post_count_register(count: Callable[..., Expression]) -> None:
    """Add a kind of post to ``post_count`` (and so to the "blogger" role). Idempotent."""
    if count not in _post_counts:
        _post_counts.append(count)


def user_list_public() -> QuerySet[User]:
    """People whose profile others may see: active, and not hidden or held by a moderator."""
    return User.objects.filter(is_active=True, visibility=Visibility.VISIBLE)


def user_get_public(*, username: str) -> User:
    return get_object_or_404(user_list_public(), username=username)


def user_get_profile(*, username: str, viewer: User | None = None) -> User:
    """An active user for their public page, in one query: ``follower_count``,
    ``following_count``, ``answer_count`` (visible answers), ``post_count`` (answers plus every
    registered kind of post, e.g. public stories), ``is_followed`` (by ``viewer``) and ``shop``
    (or None) already loaded."""
    answers = _count_of(Answer.objects.filter(visibility=Visibility.VISIBLE), "author")
    posts = answers
    for count in _post_counts:
        posts = posts + count(author=OuterRef("pk"))
    shown = Q(is_active=True, visibility=Visibility.VISIBLE)
    if viewer is not None and viewer.is_authenticated:
        shown |= Q(pk=viewer.pk)  # your own profile, even while a moderator hides it
    people = User.objects.filter(shown).annotate(
        follower_count=_count_of(UserFollow.objects.all(), "user"),
        following_count=_count_of(UserFollow.objects.all(), "follower"),
        answer_count=answers,
        post_count=posts,
    )
    if viewer is not None and viewer.is_authenticated:
        people = people.annotate(is_followed=Exists(UserFollow.objects.filter(follower=viewer, user=OuterRef("pk"))))
    else:
        people = people.annotate(is_followed=Value(False))
    return get_object_or_404(people.select_related("shop"), username=username)


def user_public_shop(person: User) -> "Shop | None":
    """The person's shop if it is open to the public (loaded by :func:`user_get_profile`)."""
    shop = getattr(person, "shop", None)
    return shop if shop is not None and shop_is_public(shop) else None


def user_roles(person: User) -> list[str]:
    """Roles from behaviour: "seller" runs an open shop; "blogger" has followers and has posted
    (answers and every registered kind of post: stories). Needs :func:`user_get_profile`'s
    annotations."""
    roles = []
    if user_public_shop(person):
        roles.append("seller")
    if person.follower_count > 0 and person.post_count > 0:
        roles.append("blogger")
    return roles


def follower_list(*, user: User) -> QuerySet[UserFollow]:
    """Who follows ``user``, newest first, each with ``follower`` loaded."""
    return (
        UserFollow.objects.filter(user=user, follower__is_active=True)
        .select_related("follower")
        .order_by("-created_at", "-id")
    )


def following_list(*, user: User) -> QuerySet[UserFollow]:
    """Whom ``user`` follows, newest first, each with ``user`` loaded."""
    return (
        UserFollow.objects.filter(follower=user, user__is_active=True)
        .select_related("user")
        .order_by("-created_at", "-id")
    )


def followed_shop_list(*, user: User) -> QuerySet[ShopFollow]:
    return (
        ShopFollow.objects.filter(shop_public_q("shop__"), user=user)
        .select_related("shop")
        .order_by("-created_at", "-id")
    )


def shop_get_followable(*, slug: str) -> "Shop":
    return shop_get_public(slug=slug)


def shop_is_followed(*, shop_id: int, user: User) -> bool:
    return user.is_authenticated and ShopFollow.objects.filter(shop_id=shop_id, user=user).exists()


def user_is_followed(*, user: User, viewer: User) -> bool:
    return viewer.is_authenticated and UserFollow.objects.filter(follower=viewer, user=user).exists()
