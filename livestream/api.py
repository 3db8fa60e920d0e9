"""Live rooms over REST (docs/api.md, "Live rooms"); the room itself speaks WebSocket
(docs/live-protocol.md). Thin views: validate → selector/service → respond."""

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import generics, permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import ApplicationError
from livestream import selectors
from livestream.errors import LiveErrorCode
from livestream.models import Room, RoomStatus, Show
from livestream.services import rooms as room_services


class HostSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="public_name")


class RoomSerializer(serializers.ModelSerializer):
    host = HostSerializer()
    shop = serializers.SerializerMethodField()
    show = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    url = serializers.CharField(source="get_absolute_url")
    websocket = serializers.SerializerMethodField()
    hls = serializers.SerializerMethodField()

    class Meta:
        model = Room
        fields = [
            "id",
            "title",
            "description",
            "status",
            "host",
            "shop",
            "show",
            "scheduled_at",
            "started_at",
            "ended_at",
            "peak_viewers",
            "hearts",
            "url",
            "websocket",
            "hls",
        ]
        read_only_fields = fields

    def get_shop(self, room) -> dict | None:
        return {"id": room.shop_id, "name": room.shop.name, "slug": room.shop.slug} if room.shop_id else None

    def get_websocket(self, room) -> str:
        return f"/ws/live/{room.pk}/"

    def get_hls(self, room) -> str:
        return selectors.hls_url(room)


class RoomListView(generics.ListAPIView):
    """Rooms: ``?status=live`` (newest first), ``scheduled`` (soonest first) or ``ended``."""

    serializer_class = RoomSerializer

    @extend_schema(parameters=[OpenApiParameter("status", enum=RoomStatus.values, required=False)])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        status = self.request.query_params.get("status") or None
        if status is not None and status not in RoomStatus.values:
            raise ApplicationError("status must be live, scheduled or ended.", code=LiveErrorCode.INVALID_STATUS)
        return selectors.room_list(status=status)


class RoomDetailView(generics.RetrieveAPIView):
    serializer_class = RoomSerializer

    def get_object(self):
        return selectors.room_get_visible(room_id=self.kwargs["pk"])


class ShelfProductSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    price = serializers.DecimalField(max_digits=12, decimal_places=2)
    effective_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    deal = serializers.IntegerField(source="deal_id", allow_null=True)
    shop = serializers.CharField(source="shop.name")
    stock = serializers.IntegerField()
    yea = serializers.IntegerField()
    nay = serializers.IntegerField()


class RoomProductsView(APIView):
    """The shelf in order, priced for you (a room deal you grabbed applies)."""

    @extend_schema(responses=ShelfProductSerializer(many=True))
    def get(self, request, pk: int):
        room = selectors.room_get_visible(room_id=pk)
        return Response(ShelfProductSerializer(selectors.shelf_list(room=room, buyer=request.user), many=True).data)


Reminded = inline_serializer("Reminded", {"reminded": serializers.BooleanField()})


class RoomRemindView(APIView):
    """``POST``: remind me when this room goes live; ``DELETE``: don't."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=None, responses=Reminded)
    def post(self, request, pk: int):
        room = selectors.room_get_visible(room_id=pk)
        room_services.room_remind(room=room, user=request.user, on=True)
        return Response({"reminded": True})

    @extend_schema(request=None, responses=Reminded)
    def delete(self, request, pk: int):
        room = selectors.room_get_visible(room_id=pk)
        room_services.room_remind(room=room, user=request.user, on=False)
        return Response({"reminded": False})


class RoomStatsSerializer(serializers.Serializer):
    unique_viewers = serializers.IntegerField()
    peak_viewers = serializers.IntegerField()
    messages = serializers.IntegerField()
    hearts = serializers.IntegerField()
    votes = serializers.IntegerField()
    store_visits = serializers.IntegerField()
    unique_visitors = serializers.IntegerField()
    visit_rate = serializers.FloatField()
    attributed_orders = serializers.IntegerField()
    attributed_sales = serializers.DecimalField(max_digits=14, decimal_places=2)
    timeline = serializers.ListField(child=serializers.ListField())


class RoomStatsView(APIView):
    """The host's numbers (host or moderator only)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=RoomStatsSerializer)
    def get(self, request, pk: int):
        room = selectors.room_get_for_host(room_id=pk, user=request.user)
        return Response(RoomStatsSerializer(selectors.room_stats(room=room)).data)


class ShowSerializer(serializers.ModelSerializer):
    host = HostSerializer()
    episode_count = serializers.IntegerField(required=False)

    class Meta:
        model = Show
        fields = ["slug", "title", "description", "host", "episode_count"]
        read_only_fields = fields


class ShowListView(generics.ListAPIView):
    serializer_class = ShowSerializer
    queryset = Show.objects.none()

    def get_queryset(self):
        return selectors.show_list()


class EpisodeProductSerializer(serializers.Serializer):
    product = serializers.IntegerField(source="product_id")
    title = serializers.CharField(source="product.title")
    yea = serializers.IntegerField()
    nay = serializers.IntegerField()


class EpisodeSerializer(RoomSerializer):
    results = EpisodeProductSerializer(source="shelf.all", many=True)

    class Meta(RoomSerializer.Meta):
        fields = [*RoomSerializer.Meta.fields, "results"]
        read_only_fields = fields


class ShowDetailSerializer(ShowSerializer):
    episodes = serializers.SerializerMethodField()

    class Meta(ShowSerializer.Meta):
        fields = [*ShowSerializer.Meta.fields, "episodes"]
        read_only_fields = fields

    @extend_schema_field(EpisodeSerializer(many=True))
    def get_episodes(self, show) -> list:
        return EpisodeSerializer(show.episodes.all(), many=True).data


class ShowDetailView(generics.RetrieveAPIView):
    """A show and its episodes, each with every featured product's yea/nay result."""

    serializer_class = ShowDetailSerializer

    def get_object(self):
        return selectors.show_get(slug=self.kwargs["slug"])


StreamKeyBody = inline_serializer(
    "StreamKey",
    {"key": serializers.CharField(), "rtmp_url": serializers.CharField(), "rotated_at": serializers.DateTimeField()},
)


class StreamKeyView(APIView):
    """Your secret stream key for the media server; ``POST`` rotates it (the old one stops working)."""

    permission_classes = [permissions.IsAuthenticated]

    def _body(self, key):
        return {"key": key.key, "rtmp_url": settings.LIVE_RTMP_PUBLISH_URL, "rotated_at": key.rotated_at}

    @extend_schema(responses=StreamKeyBody)
    def get(self, request):
        return Response(self._body(room_services.stream_key_get(user=request.user)))

    @extend_schema(request=None, responses=StreamKeyBody)
    def post(self, request):
        return Response(self._body(room_services.stream_key_rotate(user=request.user)))
