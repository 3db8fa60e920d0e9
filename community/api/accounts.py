from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.response import Response
from rest_framework.views import APIView

from community.api.people import AvatarField
from community.services import people as services
from core.parsers import PARSER_CLASSES, FormParser, JSONParser, MultiPartParser
from core.throttles import ScopedWindowThrottle, client_ip


class RegisterSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(write_only=True, style={"input_type": "password"})
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    display_name = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")


class UserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    display_name = serializers.CharField()


class RegisterResponseSerializer(UserSerializer):
    token = serializers.CharField()


class RegisterView(APIView):
    """Create an account; the response carries an API token for it."""

    permission_classes = [permissions.AllowAny]
    throttle_classes = [ScopedWindowThrottle]
    throttle_scope = "register"

    @extend_schema(request=RegisterSerializer, responses={201: RegisterResponseSerializer})
    def post(self, request):
        data = RegisterSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_create(**data.validated_data, language=get_language())
        token, _ = Token.objects.get_or_create(user=user)
        body = {"id": user.id, "username": user.username, "display_name": user.display_name, "token": token.key}
        return Response(body, status=status.HTTP_201_CREATED)


class TokenView(ObtainAuthToken):
    """Exchange username and password for ``{"token": ...}``; send it as ``Authorization: Token <t>``."""

    parser_classes = PARSER_CLASSES  # ObtainAuthToken lists DRF's own parsers
    permission_classes = [permissions.AllowAny]  # no token needed to get one (and the schema says so)

    def post(self, request, *args, **kwargs):
        """Under the sign-in lockout (as the login page): 429 ``sign_in_locked`` with
        ``Retry-After`` for a locked account or address; every refusal counts as a failure."""
        username, ip = str(request.data.get("username", "")), client_ip(request)
        services.sign_in_guard(username=username, ip=ip)
        try:
            response = super().post(request, *args, **kwargs)
        except serializers.ValidationError:
            services.sign_in_failed(username=username, ip=ip)
            raise
        services.sign_in_succeeded(username=username, ip=ip)
        return response


class MeSerializer(UserSerializer):
    email = serializers.CharField(allow_blank=True, help_text=_("Empty when none was given."))
    bio = serializers.CharField(allow_blank=True)
    avatar = AvatarField(allow_null=True)
    question_invites_opt_out = serializers.BooleanField()
    language = serializers.CharField(allow_blank=True)


class MeUpdateSerializer(serializers.Serializer):
    display_name = serializers.CharField(max_length=60, required=False, allow_blank=True)
    bio = serializers.CharField(max_length=500, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    question_invites_opt_out = serializers.BooleanField(required=False)
    avatar = serializers.FileField(
        required=False, write_only=True, help_text=_("JPEG, PNG or WebP (multipart); size and pixel limits apply.")
    )
    remove_avatar = serializers.BooleanField(required=False, default=False, help_text=_("Clear the avatar."))


class MeView(APIView):
    """The signed-in user's own account: read it, or edit the profile (``PATCH``, JSON or multipart
    with ``avatar``)."""

    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        return Response(MeSerializer(request.user).data)

    @extend_schema(request=MeUpdateSerializer, responses=MeSerializer)
    def patch(self, request):
        data = MeUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        user = services.user_profile_update(user=request.user, **data.validated_data)
        return Response(MeSerializer(user).data)


class PasswordChangeSerializer(serializers.Serializer):
    current_password = serializers.CharField(write_only=True, style={"input_type": "password"})
    new_password = serializers.CharField(write_only=True, style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()


class PasswordChangeView(APIView):
    """Change my password. Every other sign-in ends (the old token and all browser sessions); the
    answer carries the caller's new token."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=PasswordChangeSerializer, responses=TokenSerializer)
    def post(self, request):
        data = PasswordChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        token = services.user_password_change(user=request.user, **data.validated_data)
        return Response({"token": token})


class TokenRevokeView(APIView):
    """Revoke my token and sign out everywhere: the API token is deleted and every browser session
    ends. Get a new token from ``auth/token/``."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        services.user_sign_out_everywhere(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
