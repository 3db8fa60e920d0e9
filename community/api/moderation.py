"""Reports API: ``POST reports/`` — any signed-in user reports any content they can see."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from community.models import ReportReason
from community.services import moderation as services
from core.ids import MAX_ID


class ReportSerializer(serializers.Serializer):
    kind = serializers.CharField(
        max_length=30, help_text=_("shop, product, review, question, answer, user, story, comment, room, chat_message")
    )
    object_id = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text=_("The id of the item (a user's id for a profile).")
    )
    reason = serializers.ChoiceField(choices=ReportReason.choices)
    text = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ReportCreatedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    object_id = serializers.IntegerField()
    reason = serializers.CharField()


class ReportCreateView(APIView):
    """Report an item (one open report per person per item: 409 ``already_reported``)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=ReportSerializer, responses={201: ReportCreatedSerializer})
    def post(self, request):
        data = ReportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = services.report_create(
            reporter=request.user,
            kind_name=data.validated_data["kind"],
            object_id=data.validated_data["object_id"],
            reason=data.validated_data["reason"],
            text=data.validated_data["text"],
        )
        body = {"id": report.pk, "kind": report.case.kind, "object_id": report.case.object_id, "reason": report.reason}
        return Response(body, status=status.HTTP_201_CREATED)
