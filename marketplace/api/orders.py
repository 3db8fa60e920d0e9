"""API for the cart, checkout, orders and reviews. Thin: validate → service/selector → respond.

Money is sent as strings with two decimals; errors are ``{"error": {"code", "message", ...}}``.
"""

import decimal
import json
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from types import SimpleNamespace

from django.contrib.auth import get_user_model
from django.http import HttpResponse, RawPostDataException
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import generics, mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import EarlyAnswerMixin, application_error_body
from core.errors import ApplicationError
from core.ids import MAX_COUNT, MAX_ID, positive_int
from core.parsers import FormParser, JSONParser, MultiPartParser
from marketplace.errors import ReviewErrorCode
from marketplace.models import Order, RefundKind, RefundStatus, Review, VoucherClaim
from marketplace.selectors import orders as selectors
from marketplace.selectors.orders import MAX_LINE_QUANTITY, QUANTITY_NOT_A_NUMBER
from marketplace.services import admission_early
from marketplace.services import cart as cart_services
from marketplace.services import checkout as checkout_services
from marketplace.services import orders as order_services
from marketplace.services import refunds as refund_services
from marketplace.services import reviews as review_services

# --- serializers ----------------------------------------------------------------------------


# A quantity's range (at least 1, at most MAX_LINE_QUANTITY) is the cart service's rule: outside
# it the answer is 400 ``invalid_quantity`` (with ``limit`` above it), from the service, as for
# every other edge. Serializers only take a whole number and say so when it is not one.
_QUANTITY_ERRORS = {"invalid": QUANTITY_NOT_A_NUMBER, "max_string_length": QUANTITY_NOT_A_NUMBER}


#: A quantity's bounds are only what the column holds: the cart service's rule answers 0, negative
#: and too many with its own message (``MAX_LINE_QUANTITY``), on every edge.
_QUANTITY_BOUNDS = {"min_value": -MAX_COUNT, "max_value": MAX_COUNT}


class CartItemAddSerializer(serializers.Serializer):
    product = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    quantity = serializers.IntegerField(
        default=1,
        **_QUANTITY_BOUNDS,
        help_text=format_lazy(_("At most {max} of one product per order."), max=MAX_LINE_QUANTITY),
        error_messages=_QUANTITY_ERRORS,
    )


class CartItemQuantitySerializer(serializers.Serializer):
    quantity = serializers.IntegerField(
        **_QUANTITY_BOUNDS,
        help_text=format_lazy(_("0 removes the line; at most {max}."), max=MAX_LINE_QUANTITY),
        error_messages=_QUANTITY_ERRORS,
    )


class CartLineSerializer(serializers.Serializer):
    product = serializers.IntegerField(source="product.pk")
    title = serializers.CharField(source="product.title")
    url = serializers.CharField(source="product.get_absolute_url")
    image = serializers.CharField(source="thumb_url")
    quantity = serializers.IntegerField()
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    list_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    deal = serializers.IntegerField(source="product.deal_id", allow_null=True)
    line_total = serializers.DecimalField(max_digits=12, decimal_places=2)
    problem = serializers.CharField(help_text=_("Why this quantity cannot be bought now; empty if it can."))


class CartShopSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="shop.pk")
    name = serializers.CharField(source="shop.name")
    subtotal = serializers.DecimalField(max_digits=12, decimal_places=2)
    lines = CartLineSerializer(many=True)


class CartSerializer(serializers.Serializer):
    shops = CartShopSerializer(many=True)
    count = serializers.IntegerField()
    total = serializers.DecimalField(max_digits=12, decimal_places=2)


class CheckoutSerializer(serializers.Serializer):
    vouchers = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        default=list,
        help_text=_("Voucher claim ids, one per shop."),
    )
    address = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        allow_null=True,
        default=None,
        help_text=_("Where to deliver: an id from addresses/ (default: your default address)."),
    )


class ShippingAddressSerializer(serializers.Serializer):
    """An order's copy of its delivery address (later edits of the address book never change it)."""

    recipient = serializers.CharField()
    mobile = serializers.CharField()
    province = serializers.CharField()
    city = serializers.CharField()
    district = serializers.CharField()
    street = serializers.CharField()
    postcode = serializers.CharField(allow_blank=True)


class ReceiptLineSerializer(serializers.Serializer):
    product = serializers.IntegerField(source="product_id")
    title = serializers.CharField()
    quantity = serializers.IntegerField()
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    list_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    deal = serializers.IntegerField(source="deal_id", allow_null=True)


class ReceiptOrderSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    shop = serializers.SerializerMethodField()
    status = serializers.CharField()
    currency = serializers.CharField()
    subtotal = serializers.DecimalField(max_digits=12, decimal_places=2)
    discount = serializers.DecimalField(max_digits=12, decimal_places=2)
    total = serializers.DecimalField(max_digits=12, decimal_places=2)
    expires_at = serializers.DateTimeField()
    shipping_address = ShippingAddressSerializer(
        allow_null=True, help_text=_("The delivery address, as it was when the order was placed.")
    )
    lines = ReceiptLineSerializer(source="lines_placed", many=True)

    def get_shop(self, order) -> dict:
        return {"id": order.shop_id, "name": order.shop.name}


class ReceiptSerializer(serializers.Serializer):
    """What a checkout answers: the orders it placed (one per shop), awaiting payment. The
    schema's description of :func:`receipt`, which writes it (the same JSON: a test compares
    them)."""

    orders = ReceiptOrderSerializer(many=True)


_CENTS = Decimal("0.01")
#: DRF's DecimalField(max_digits=12) quantizes in a context of 12 digits.
_MONEY = decimal.Context(prec=12)


def _money(value: Decimal) -> str:
    return f"{value.quantize(_CENTS, context=_MONEY):f}"


def _when(value: datetime) -> str:
    """An aware datetime as DRF writes it: in the current time zone, ISO 8601, UTC as ``Z``."""
    text = timezone.localtime(value).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _receipt_order(order: Order) -> dict:
    address = order.shipping_address
    return {
        "id": order.pk,
        "shop": {"id": order.shop_id, "name": order.shop.name},
        "status": str(order.status),
        "currency": str(order.currency),
        "subtotal": _money(order.subtotal),
        "discount": _money(order.discount),
        "total": _money(order.total),
        "expires_at": _when(order.expires_at),
        "shipping_address": None
        if address is None
        else {
            name: None if address[name] is None else str(address[name])
            for name in ShippingAddressSerializer._declared_fields
        },
        "lines": [
            {
                "product": line.product_id,
                "title": str(line.title),
                "quantity": line.quantity,
                "unit_price": _money(line.unit_price),
                "list_price": _money(line.list_price),
                "deal": line.deal_id,
            }
            for line in order.lines_placed
        ],
    }


def receipt(result: checkout_services.CheckoutResult) -> dict:
    """A checkout's answer (:class:`ReceiptSerializer`'s shape) from the orders it placed, each
    with ``shop`` and ``lines_placed``: written directly, as DRF's serializer would write it
    (~5x less CPU than its ``to_representation``: every order of a flash sale answers it)."""
    return {"orders": [_receipt_order(order) for order in result.orders]}


class OrderLineSerializer(ReceiptLineSerializer):
    id = serializers.IntegerField()
    line_total = serializers.DecimalField(max_digits=12, decimal_places=2)
    review = serializers.SerializerMethodField()

    def get_review(self, line) -> int | None:
        review = getattr(line, "review", None)
        return review.pk if review else None


class RefundRequestSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=RefundKind.choices, help_text=_("refund (before shipping) or return."))
    status = serializers.ChoiceField(choices=RefundStatus.choices)
    reason = serializers.CharField(help_text=_("What the buyer wrote."))
    response = serializers.CharField(help_text=_("Why the seller refused (returns)."))
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    auto_approve_at = serializers.DateTimeField(
        allow_null=True, help_text=_("When an unanswered refund is approved automatically.")
    )
    decided_by = serializers.CharField(help_text=_("seller or automatic; empty while open."))
    decided_at = serializers.DateTimeField(allow_null=True)
    refund_reference = serializers.CharField(help_text=_("The payment backend's record of the refund."))
    created_at = serializers.DateTimeField()


class OrderSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    shop = serializers.SerializerMethodField()
    buyer = serializers.SerializerMethodField()
    status = serializers.CharField()
    status_display = serializers.CharField(source="get_status_display")
    currency = serializers.CharField()
    subtotal = serializers.DecimalField(max_digits=12, decimal_places=2)
    discount = serializers.DecimalField(max_digits=12, decimal_places=2)
    total = serializers.DecimalField(max_digits=12, decimal_places=2)
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)
    paid_at = serializers.DateTimeField(allow_null=True)
    shipped_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    cancel_reason = serializers.CharField(help_text=_("Why the seller cancelled the order; empty otherwise."))
    shipping_address = ShippingAddressSerializer(
        allow_null=True, help_text=_("The delivery address, as it was when the order was placed.")
    )
    return_until = serializers.SerializerMethodField(
        help_text=_("Until when the buyer may ask to return a delivered order; null before delivery.")
    )
    refund_requests = RefundRequestSerializer(many=True, help_text=_("Refund and return requests, newest first."))
    lines = OrderLineSerializer(many=True)

    def get_return_until(self, order) -> datetime | None:
        closes = refund_services.return_window_closes_at(order)
        return serializers.DateTimeField().to_representation(closes) if closes else None

    def get_shop(self, order) -> dict:
        return {"id": order.shop_id, "name": order.shop.name, "slug": order.shop.slug}

    def get_buyer(self, order) -> dict:
        return {"id": order.buyer_id, "username": order.buyer.username}


class OrderCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Required when the seller cancels (at most 500 characters); the buyer is told."),
    )


class AfterSaleSerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=_("At most 500 characters. Required to ask for a return and to refuse one; optional for a refund."),
    )


class ReviewSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    order_line = serializers.IntegerField(
        source="order_line_id", min_value=1, max_value=MAX_ID, help_text=_("The order line being reviewed.")
    )
    product = serializers.IntegerField(source="product_id", read_only=True)
    shop = serializers.IntegerField(source="shop_id", read_only=True)
    author = serializers.SerializerMethodField()
    rating = serializers.IntegerField(min_value=1, max_value=5)
    text = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
    images = serializers.SerializerMethodField()
    uploaded_images = serializers.ListField(
        child=serializers.FileField(), required=False, default=list, write_only=True, help_text=_("JPEG, PNG or WebP.")
    )
    created_at = serializers.DateTimeField(read_only=True)

    def get_author(self, review) -> dict:
        return {"id": review.author_id, "username": review.author.username, "name": review.author.public_name}

    def get_images(self, review) -> list[str]:
        return [image.image.url for image in review.images.all()]


# --- views ----------------------------------------------------------------------------------

#: Headers of an answer that replays an earlier request with the same Idempotency-Key.
REPLAYED = {"Idempotent-Replayed": "true"}


def _cart_response(user, *, status_code=status.HTTP_200_OK) -> Response:
    return Response(CartSerializer(selectors.cart_get(user=user)).data, status=status_code)


class CartView(APIView):
    """The signed-in user's cart, grouped by shop, at today's effective prices."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=CartSerializer)
    def get(self, request):
        return _cart_response(request.user)


class CartItemsView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=CartItemAddSerializer, responses={201: CartSerializer})
    def post(self, request):
        """Add units of a product (on top of what is in the cart). 409 when stock, the sale's
        flash units or the per-buyer limit do not allow it."""
        data = CartItemAddSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        cart_services.cart_item_add(user=request.user, product_id=data.validated_data["product"],
                                    quantity=data.validated_data["quantity"])  # fmt: skip
        return _cart_response(request.user, status_code=status.HTTP_201_CREATED)


class CartItemView(APIView):
    """One cart line, addressed by its product id."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=CartItemQuantitySerializer, responses=CartSerializer)
    def patch(self, request, product_id: int):
        data = CartItemQuantitySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        cart_services.cart_item_set_quantity(
            user=request.user, product_id=product_id, quantity=data.validated_data["quantity"]
        )
        return _cart_response(request.user)

    @extend_schema(responses=CartSerializer)
    def delete(self, request, product_id: int):
        cart_services.cart_item_remove(user=request.user, product_id=product_id)
        return _cart_response(request.user)


class CheckoutView(EarlyAnswerMixin, APIView):
    """Turn the cart into one order per shop (awaiting payment until ``expires_at``).

    Send an ``Idempotency-Key`` header (any unique string, e.g. a UUID) to make retries safe: a
    retry with the same key answers as the first request did — the same orders (in their state
    now) or the same refusal — with ``Idempotent-Replayed: true``, and places nothing; the same
    key with a different cart or vouchers is refused (422).
    """

    permission_classes = [permissions.IsAuthenticated]

    #: What the early refusal read when the gate would admit (``admission_early.EarlyAdmitted``).
    admitted_early = None

    def answer_early(self, request, *args, **kwargs):
        return _checkout_early(self, request) if request.method == "POST" else None

    @extend_schema(
        request=CheckoutSerializer,
        parameters=[OpenApiParameter("Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER)],
        responses={201: ReceiptSerializer, 409: OpenApiTypes.OBJECT, 422: OpenApiTypes.OBJECT},
    )
    def post(self, request):
        data = CheckoutSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        seen = self.admitted_early
        if seen is not None and seen.buyer_id != request.user.pk:
            seen = None
        body, status_code, headers = _checkout(
            buyer=request.user,
            vouchers=data.validated_data["vouchers"],
            address=data.validated_data["address"],
            key=request.headers.get("Idempotency-Key"),
            gated=None if seen is None else seen.gated,
            items=None if seen is None else seen.items,
        )
        return Response(body, status=status_code, headers=headers)


def _checkout(
    *,
    buyer,
    vouchers: list[int],
    address: int | None,
    key: str | None,
    gated: dict | None,
    items: list | None = None,
    admission=None,
):
    """The checkout's answer, ``(body, status, headers)``, for the whole way and the early one
    alike (``checkout_services.checkout_submit``; other refusals raise ``ApplicationError``)."""
    try:
        result = checkout_services.checkout_submit(
            buyer=buyer,
            voucher_claim_ids=vouchers,
            address_id=address,
            idempotency_key=key,
            gated_deals=gated,
            cart_items=items,
            admission=admission,
        )
    except checkout_services.CheckoutRefusalReplayed as refusal:
        return application_error_body(refusal), refusal.status, REPLAYED
    return receipt(result), status.HTTP_201_CREATED, REPLAYED if result.replayed else {}


def _plain_checkout_body(request) -> dict | None:
    """The checkout's body as :class:`CheckoutSerializer` validates it, when it is one the
    serializer takes as it is: empty (DRF reads no body then), or a JSON object of ``vouchers``
    (ids) and ``address`` (an id or null). None for any other body, and for a body already read
    from the stream (a form the input guard parsed)."""
    try:
        if not request.body:
            return {"vouchers": [], "address": None}
    except RawPostDataException:
        return None
    if request.content_type != "application/json":
        return None
    try:
        data = json.loads(request.body)
    except ValueError:
        return None
    if not isinstance(data, dict) or not set(data) <= {"vouchers", "address"}:
        return None

    def an_id(value) -> bool:
        return type(value) is int and 1 <= value <= MAX_ID

    vouchers, address = data.get("vouchers", []), data.get("address")
    if isinstance(vouchers, list) and all(map(an_id, vouchers)) and (address is None or an_id(address)):
        return {"vouchers": vouchers, "address": address}
    return None


def _checkout_early(view: "CheckoutView", request) -> HttpResponse | None:
    """Sale day: a token-authenticated checkout of a cart with a hot flash deal, answered before
    DRF's request machinery (``admission_early.flash_early``) with the same status, body and
    headers as the whole path:

    * the flash gate refuses it (409 ``sold_out`` / ``quantity_unavailable`` /
      ``limit_reached``): one Redis round trip, no SQL, once the token's entry is built (the
      throttles' counters counted in it);
    * the decision was read from PostgreSQL just now (the token's first checkout since its entry
      was built or invalidated) and the gate would admit: that read found the token's active
      buyer, so the checkout runs here (:func:`_checkout_admitted`) without DRF's token
      authentication (the person with the badge count and its cache entry: 2 statements and 4
      round trips) and DRF's parsing, serializer and response.

    Anything else (no or another kind of credentials, a body or header the serializer would refuse
    or read differently, an answer recorded under the Idempotency-Key, an entry that admits, a
    throttled buyer) returns None and the request goes the whole way."""
    header = request.META.get("HTTP_AUTHORIZATION", "").split()
    if len(header) != 2 or header[0].lower() != "token" or request.META.get("QUERY_STRING"):
        return None
    if request.META.get("HTTP_ACCEPT", "*/*") not in ("*/*", "application/json"):
        return None  # content negotiation could choose another renderer
    key = request.META.get("HTTP_IDEMPOTENCY_KEY")  # request.headers would build all of them
    if key and len(key) > 255:
        return None
    body = _plain_checkout_body(request)
    if body is None:
        return None
    # The API's throttles count this request, as DRF would have (the admitted go the whole way
    # uncounted here, so every request is counted once): in the decision's own round trip when
    # every throttle says which counter it counts on, else apart.
    throttles = view.get_throttles()
    placeholder = SimpleNamespace(
        user=SimpleNamespace(pk=admission_early.BUYER, is_authenticated=True), META=request.META
    )
    counted = []
    for throttle in throttles:
        if not hasattr(throttle, "window_counter"):
            counted = None
            break
        counter = throttle.window_counter(placeholder, view)
        if counter is not None:
            counted.append((throttle, counter))
    counters = None if counted is None else [counter for _throttle, counter in counted]
    refusal = admission_early.flash_early(token=header[1], idempotency_key=key, counters=counters, admit=True)
    if isinstance(refusal, admission_early.EarlyAdmitted):
        view.admitted_early = refusal  # the checkout reads the cart's gated deals no more
        if refusal.counts is not None:  # counted in the gate's round trip
            view.early_counted(counted, refusal.counts)
        try:
            return _checkout_admitted(view, request, refusal, body=body, key=key)
        finally:
            if refusal.admission is not None:  # not taken by the checkout (throttled, an error)
                refusal.admission.release()
    if refusal is None:
        return None
    if refusal.counts is not None:
        if any(count > allowed for count, (_key, _ttl, allowed) in zip(refusal.counts, counters, strict=True)):
            return None  # throttled: the whole way says so
    else:
        caller = SimpleNamespace(user=SimpleNamespace(pk=refusal.buyer_id, is_authenticated=True), META=request.META)
        if not all(throttle.allow_request(caller, view) for throttle in throttles):
            return None
    response = view.early_response(_refusal_body(refusal), status=refusal.error.status)
    # Not Django's WARNING "Conflict: /api/v1/checkout/" per answer (its log record and write
    # cost about a tenth of the refusal): on sale day each late buyer's retries are these
    # answers, by the thousand a second, and they are the sale working, not a client's error.
    response._has_been_logged = True
    return response


def _refusal_body(refusal: admission_early.EarlyRefusal) -> bytes:
    if refusal.same_as is None:
        return _error_json(refusal.error)
    return _kept_refusal_body(refusal.same_as, refusal.error)


def _error_json(error: ApplicationError) -> bytes:
    return JSONRenderer().render(application_error_body(error))


@lru_cache(maxsize=admission_early.MAX_REFUSALS_KEPT)
def _kept_refusal_body(same_as: tuple, error: ApplicationError) -> bytes:
    """The JSON body of a refusal answered from Redis, kept by ``EarlyRefusal.same_as``: every
    late buyer of a deal gets the same bytes (and the same kept ``error``)."""
    return _error_json(error)


def _checkout_admitted(view: "CheckoutView", request, admitted, *, body: dict, key: str | None) -> HttpResponse | None:
    """The checkout of the buyer :func:`_checkout_early` found behind the token (active: the
    read DRF's token authentication would make, just made), counted on the throttles as DRF
    would (``early_throttled``: a throttled one goes the whole way, answered 429 from these
    counts), through the same service and :func:`_checkout` as :meth:`CheckoutView.post`, its
    errors answered by the API's exception handler as DRF would. The buyer is ``User(pk=...)``:
    the checkout reads only its id."""
    buyer = get_user_model()(pk=admitted.buyer_id, is_active=True)
    if view.early_throttled(SimpleNamespace(user=buyer, auth=None, method=request.method, META=request.META)):
        return None
    request.user = buyer  # as DRF sets it on the request it wraps
    try:
        data, status_code, headers = _checkout(
            buyer=buyer,
            vouchers=body["vouchers"],
            address=body["address"],
            key=key,
            gated=admitted.gated,
            items=admitted.items,
            admission=admitted.admission,
        )
    except Exception as exc:
        answer = view.get_exception_handler()(exc, {"view": view, "args": (), "kwargs": {}, "request": request})
        if answer is None:
            raise
        data, status_code = answer.data, answer.status_code
        headers = {name: value for name, value in answer.items() if name.lower() != "content-type"}
    response = view.early_response(JSONRenderer().render(data), status=status_code)
    for name, value in headers.items():
        response[name] = value
    return response


@extend_schema(parameters=[OpenApiParameter("as", str, enum=["buyer", "seller"], description="Default: buyer")])
class OrderViewSet(viewsets.ReadOnlyModelViewSet):
    """Your orders as a buyer, or with ``?as=seller`` the orders placed with your shop."""

    serializer_class = OrderSerializer
    permission_classes = [permissions.IsAuthenticated]
    queryset = Order.objects.none()  # for the schema; requests use the selectors below
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        if self.request.query_params.get("as") == "seller":
            return selectors.order_list_for_seller(
                user=self.request.user, status=self.request.query_params.get("status")
            )
        return selectors.order_list_for_buyer(user=self.request.user)

    def get_object(self):
        return selectors.order_get_for_user(user=self.request.user, order_id=int(self.kwargs["pk"]))

    def _act(self, service, **kwargs) -> Response:
        order = self.get_object()
        service(order=order, **kwargs)
        return Response(OrderSerializer(selectors.order_get_for_user(user=self.request.user, order_id=order.pk)).data)

    @extend_schema(request=None, responses=OrderSerializer)
    @action(detail=True, methods=["post"])
    def pay(self, request, pk=None):
        """Pay (buyer) through the configured payment backend — in the demo, simulated."""
        return self._act(order_services.order_pay, buyer=request.user)

    @extend_schema(request=None, responses=OrderSerializer)
    @action(detail=True, methods=["post"])
    def ship(self, request, pk=None):
        """Mark shipped (seller)."""
        return self._act(order_services.order_ship, seller=request.user)

    @extend_schema(request=None, responses=OrderSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        """Confirm delivery (buyer)."""
        return self._act(order_services.order_confirm_delivery, buyer=request.user)

    @extend_schema(request=OrderCancelSerializer, responses=OrderSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel an unpaid order: the buyer, or the seller with a ``reason`` the buyer is told.
        Its items go back on sale."""
        data = OrderCancelSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._act(order_services.order_cancel_by, user=request.user, reason=data.validated_data["reason"])

    def _after_sale(self, request, action_name: str) -> Response:
        data = AfterSaleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._act(
            refund_services.order_after_sale_act,
            user=request.user,
            action=action_name,
            reason=data.validated_data["reason"],
        )

    @extend_schema(request=AfterSaleSerializer, responses=OrderSerializer)
    @action(detail=True, methods=["post"])
    def refund(self, request, pk=None):
        """Ask for a refund (buyer) of a paid order not shipped yet. Granted at once or approved
        by the seller — automatically after ``ORDER_REFUND_AUTO_APPROVE_HOURS``. 409
        ``already_shipped`` when shipping won."""
        return self._after_sale(request, "refund")

    @extend_schema(request=AfterSaleSerializer, responses=OrderSerializer)
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_request(self, request, pk=None):
        """Ask to return (buyer) a delivered order within ``ORDER_RETURN_WINDOW_DAYS``, with a
        reason; 409 ``return_window_closed`` after that."""
        return self._after_sale(request, "return")

    @extend_schema(request=None, responses=OrderSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve (seller) the open refund request, or accept the open return: the money goes
        back through the payment backend, the items back into stock."""
        return self._after_sale(request, "approve")

    @extend_schema(request=AfterSaleSerializer, responses=OrderSerializer)
    @action(detail=True, methods=["post"])
    def refuse(self, request, pk=None):
        """Refuse (seller) the open return, with a reason the buyer is told; the order goes back
        to delivered (or completed)."""
        return self._after_sale(request, "refuse")


@extend_schema(parameters=[OpenApiParameter("product", int, required=True)])
class ReviewViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Visible reviews of a product (``?product=<id>``); buyers post one review per delivered
    order line (JSON, or multipart with ``uploaded_images``)."""

    serializer_class = ReviewSerializer
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    queryset = Review.objects.none()  # for the schema; requests use the selector below

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        product = self.request.query_params.get("product", "")
        product_id = positive_int(product)
        if product_id is None:
            raise ApplicationError(_("Say which product: ?product=<id>."), code=ReviewErrorCode.PRODUCT_REQUIRED)
        return selectors.review_list_for_product(product_id=product_id)

    def create(self, request, *args, **kwargs):
        data = ReviewSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = review_services.review_create(
            author=request.user,
            order_line_id=data.validated_data["order_line_id"],
            rating=data.validated_data["rating"],
            text=data.validated_data["text"],
            images=data.validated_data["uploaded_images"],
        )
        return Response(ReviewSerializer(review).data, status=status.HTTP_201_CREATED)


class ReviewUpdateSerializer(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5, required=False)
    text = serializers.CharField(max_length=4000, required=False, allow_blank=True)


class MyReviewSerializer(ReviewSerializer):
    visibility = serializers.CharField(
        read_only=True, help_text=_("visible, held or hidden by a moderator (core.visibility.Visibility).")
    )
    product_title = serializers.CharField(source="product.title", read_only=True)


class ReviewDetailView(APIView):
    """My review: edit its rating and text, or delete it (author only)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=ReviewUpdateSerializer, responses=MyReviewSerializer)
    def patch(self, request, pk: int):
        data = ReviewUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = review_services.review_update(author=request.user, review_id=pk, **data.validated_data)
        return Response(MyReviewSerializer(review).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, pk: int):
        review_services.review_delete(author=request.user, review_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MyReviewListView(generics.ListAPIView):
    """My reviews, newest first, in any visibility (``status`` says whether a moderator hid one)."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = MyReviewSerializer
    filter_backends = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Review.objects.none()
        return selectors.review_list_for_author(user=self.request.user)


class MyVoucherClaimSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text=_("The claim id: what checkout's ``vouchers`` list takes."))
    voucher = serializers.SerializerMethodField()
    claimed_at = serializers.DateTimeField()
    used_at = serializers.DateTimeField(allow_null=True, help_text=_("Set while an order uses it."))
    usable = serializers.SerializerMethodField(help_text=_("Unused and valid now."))

    @extend_schema_field(
        inline_serializer(
            "ClaimedVoucher",
            {
                "id": serializers.IntegerField(),
                "title": serializers.CharField(),
                "shop": serializers.DictField(),
                "min_spend": serializers.DecimalField(max_digits=12, decimal_places=2),
                "discount": serializers.DecimalField(max_digits=12, decimal_places=2),
                "valid_from": serializers.DateTimeField(),
                "valid_until": serializers.DateTimeField(),
            },
        )
    )
    def get_voucher(self, claim) -> dict:
        voucher = claim.voucher
        return {
            "id": voucher.pk,
            "title": voucher.title,
            "shop": {"id": voucher.shop_id, "slug": voucher.shop.slug, "name": voucher.shop.name},
            "min_spend": f"{voucher.min_spend:.2f}",
            "discount": f"{voucher.discount:.2f}",
            "valid_from": serializers.DateTimeField().to_representation(voucher.valid_from),
            "valid_until": serializers.DateTimeField().to_representation(voucher.valid_until),
        }

    def get_usable(self, claim) -> bool:
        now = self.context["now"]
        return claim.used_at is None and claim.voucher.valid_from <= now < claim.voucher.valid_until


@extend_schema(
    parameters=[
        OpenApiParameter(
            "usable", bool, description=_("true: only claims a checkout can use now; false: only the others.")
        )
    ]
)
class MyVoucherClaimListView(generics.ListAPIView):
    """My voucher claims, newest first. Pass a claim's ``id`` in checkout's ``vouchers``."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = MyVoucherClaimSerializer
    filter_backends = []

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": self.now}

    def get_queryset(self):
        self.now = timezone.now()
        if getattr(self, "swagger_fake_view", False):
            return VoucherClaim.objects.none()
        usable = {"true": True, "1": True, "false": False, "0": False}.get(
            self.request.query_params.get("usable", "").lower()
        )
        return selectors.voucher_claim_list_for_user(user=self.request.user, usable=usable, now=self.now)
