from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from community.models import Notification
from community.selectors import notifications as selectors
from community.services import notifications as services


class NotificationSerializer(serializers.ModelSerializer):
    """``title`` and ``body`` in the request's language (Accept-Language)."""

    title = serializers.CharField(source="shown_title")
    body = serializers.CharField(source="shown_body")
    is_read = serializers.BooleanField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "url", "is_read", "read_at", "created_at"]
        read_only_fields = fields


MarkedRead = inline_serializer(
    "MarkedRead", {"marked": serializers.IntegerField(), "unread_count": serializers.IntegerField()}
)


class NotificationListView(generics.ListAPIView):
    """Your inbox, newest first."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = NotificationSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        return selectors.notification_list(user=self.request.user)


def _marked(request, marked: int) -> Response:
    # Counted now: the user came with the count from before marking (community.backends).
    unread = selectors.notification_unread_count(user=request.user, fresh=True)
    return Response({"marked": marked, "unread_count": unread})


class NotificationReadView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=None, responses=MarkedRead)
    def post(self, request, pk: int):
        notification = selectors.notification_get_for_user(user=request.user, notification_id=pk)
        return _marked(request, services.notifications_mark_read(user=request.user, notification_ids=[notification.pk]))


class NotificationReadAllView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=None, responses=MarkedRead)
    def post(self, request):
        return _marked(request, services.notifications_mark_read(user=request.user))
