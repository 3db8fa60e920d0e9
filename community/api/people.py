from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import generics, permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from community.models import Activity, UserFollow
from community.selectors import activity as activity_selectors
from community.selectors import people as selectors
from community.services import activity as activity_services
from community.services import people as services


@extend_schema_field(OpenApiTypes.URI_REF)
class AvatarField(serializers.ImageField):
    """An avatar's URL as these serializers send it: its path under ``MEDIA_URL`` (they are made
    without the request DRF would make it absolute with), so the schema says ``uri-reference``,
    not ``uri`` (the schema fuzzer refused every answer with an avatar)."""


class PersonSerializer(serializers.Serializer):
    username = serializers.CharField()
    display_name = serializers.CharField(source="public_name")
    avatar = AvatarField(allow_null=True)


class ProfileShopSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    follower_count = serializers.IntegerField()


class ProfileSerializer(PersonSerializer):
    bio = serializers.CharField()
    follower_count = serializers.IntegerField()
    following_count = serializers.IntegerField()
    answer_count = serializers.IntegerField(help_text=_("Visible answers."))
    post_count = serializers.IntegerField(help_text=_("Visible answers and public stories."))
    is_followed = serializers.BooleanField(help_text=_("Whether the signed-in caller follows this person."))
    roles = serializers.SerializerMethodField()
    shop = serializers.SerializerMethodField()

    def get_roles(self, person) -> list[str]:
        return selectors.user_roles(person)

    @extend_schema(
        responses=ProfileShopSerializer(allow_null=True),
    )
    def get_shop(self, person) -> dict | None:
        shop = selectors.user_public_shop(person)
        return ProfileShopSerializer(shop).data if shop else None


FollowResult = inline_serializer(
    "FollowResult",
    {"following": serializers.BooleanField(), "changed": serializers.BooleanField()},
)
ShopFollowResult = inline_serializer(
    "ShopFollowResult",
    {
        "following": serializers.BooleanField(),
        "changed": serializers.BooleanField(),
        "follower_count": serializers.IntegerField(),
    },
)


class UserProfileView(APIView):
    """A public profile: counts, roles (seller, blogger), shop."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(responses=ProfileSerializer)
    def get(self, request, username):
        person = selectors.user_get_profile(username=username, viewer=request.user)
        return Response(ProfileSerializer(person).data)


class UserFollowView(APIView):
    """POST follows the user, DELETE unfollows (both idempotent)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=None, responses=FollowResult)
    def post(self, request, username):
        person = selectors.user_get_public(username=username)
        changed = services.user_follow(follower=request.user, user=person)
        return Response({"following": True, "changed": changed})

    @extend_schema(request=None, responses=FollowResult)
    def delete(self, request, username):
        person = selectors.user_get_public(username=username)
        changed = services.user_unfollow(follower=request.user, user=person)
        return Response({"following": False, "changed": changed})


class ShopFollowView(APIView):
    """POST follows the shop, DELETE unfollows (idempotent); answers the new follower count."""

    permission_classes = [permissions.IsAuthenticated]

    def _respond(self, shop, *, following: bool, changed: bool):
        shop.refresh_from_db(fields=["follower_count"])
        return Response({"following": following, "changed": changed, "follower_count": shop.follower_count})

    @extend_schema(request=None, responses=ShopFollowResult)
    def post(self, request, slug):
        shop = selectors.shop_get_followable(slug=slug)
        return self._respond(shop, following=True, changed=services.shop_follow(user=request.user, shop=shop))

    @extend_schema(request=None, responses=ShopFollowResult)
    def delete(self, request, slug):
        shop = selectors.shop_get_followable(slug=slug)
        return self._respond(shop, following=False, changed=services.shop_unfollow(user=request.user, shop=shop))


class FollowerListView(generics.ListAPIView):
    """People who follow ``username`` (``/followers/``) or whom they follow (``/following/``)."""

    permission_classes = [permissions.AllowAny]
    serializer_class = PersonSerializer
    kind = "followers"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return UserFollow.objects.none()
        person = selectors.user_get_public(username=self.kwargs["username"])
        if self.kind == "followers":
            return selectors.follower_list(user=person)
        return selectors.following_list(user=person)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        people = [link.follower if self.kind == "followers" else link.user for link in page]
        return self.get_paginated_response(PersonSerializer(people, many=True).data)


class ActivitySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Activity._meta.get_field("kind").choices)
    product = serializers.IntegerField(source="product_id", allow_null=True)
    product_title = serializers.CharField(source="product.title", allow_null=True, default=None)
    category = serializers.CharField(source="category.name", allow_null=True, default=None)
    created_at = serializers.DateTimeField()


class MyActivityView(generics.ListAPIView):
    """GET: your own activity history, newest first. DELETE: clear it (and the interests
    derived from it)."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = ActivitySerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Activity.objects.none()
        return activity_selectors.activity_list(user=self.request.user)

    @extend_schema(
        request=None, responses={200: inline_serializer("ActivityCleared", {"deleted": serializers.IntegerField()})}
    )
    def delete(self, request):
        return Response({"deleted": activity_services.activity_clear(user=request.user)}, status=status.HTTP_200_OK)
