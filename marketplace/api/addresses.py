"""API for the address book (``/api/v1/addresses/``). Thin: shape the input, call the address
service (its rules and messages: a mainland mobile number, a 6-digit postcode, one default),
answer with the address. Checkout takes one of these ids as ``address``."""

from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace.selectors import addresses as selectors
from marketplace.services import addresses as services


class AddressSerializer(serializers.Serializer):
    """An address. Rules (which fields are required, the mobile number's and postcode's form) are
    checked by the service: a refusal is 400 ``invalid`` with ``fields``."""

    id = serializers.IntegerField(read_only=True)
    recipient = serializers.CharField(max_length=200, allow_blank=True, required=False)
    mobile = serializers.CharField(max_length=200, allow_blank=True, required=False)
    province = serializers.CharField(max_length=200, allow_blank=True, required=False)
    city = serializers.CharField(max_length=200, allow_blank=True, required=False)
    district = serializers.CharField(max_length=200, allow_blank=True, required=False)
    street = serializers.CharField(max_length=400, allow_blank=True, required=False)
    postcode = serializers.CharField(max_length=200, allow_blank=True, required=False)
    is_default = serializers.BooleanField(required=False, default=False)


def _values(data: dict) -> dict:
    return {name: data.get(name, "") for name in services.FIELDS}


def _get(request, pk: int):
    address = selectors.address_get_for_user(user=request.user, address_id=pk)
    if address is None:
        raise services.address_not_found()
    return address


class AddressListView(APIView):
    """GET: your addresses, the default first. POST: add one (the first is the default)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=AddressSerializer(many=True))
    def get(self, request):
        return Response(AddressSerializer(selectors.address_list_for_user(user=request.user), many=True).data)

    @extend_schema(request=AddressSerializer, responses={201: AddressSerializer})
    def post(self, request):
        data = AddressSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        address = services.address_create(
            user=request.user, is_default=data.validated_data["is_default"], **_values(data.validated_data)
        )
        return Response(AddressSerializer(address).data, status=status.HTTP_201_CREATED)


class AddressDetailView(APIView):
    """GET, PUT (every field), PATCH (some fields; ``{"is_default": true}`` makes it the default)
    or DELETE one of your addresses. Orders already placed keep their own copy."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=AddressSerializer)
    def get(self, request, pk: int):
        return Response(AddressSerializer(_get(request, pk)).data)

    def _update(self, request, pk: int, *, partial: bool) -> Response:
        address = _get(request, pk)
        data = AddressSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        given = data.validated_data
        values = {name: given.get(name, getattr(address, name) if partial else "") for name in services.FIELDS}
        is_default = given.get("is_default") if "is_default" in request.data else None
        address = services.address_update(user=request.user, address_id=address.pk, is_default=is_default, **values)
        return Response(AddressSerializer(address).data)

    @extend_schema(request=AddressSerializer, responses=AddressSerializer)
    def put(self, request, pk: int):
        return self._update(request, pk, partial=False)

    @extend_schema(request=AddressSerializer, responses=AddressSerializer)
    def patch(self, request, pk: int):
        return self._update(request, pk, partial=True)

    @extend_schema(responses={204: None})
    def delete(self, request, pk: int):
        services.address_delete(user=request.user, address_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)
