"""API for catalogue: shops, categories, products and product images.

Thin: parse with a serializer, call a selector or service, render. Permissions are the rules of
``marketplace.permissions``; domain errors are ApplicationError (rendered by core.api).
The public product list is cached as serialized data (see ``core/cache.py``).
"""

import hashlib
import json

from django.conf import settings
from django.db.models import Prefetch
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from core.api import EarlyAnswerMixin, Pagination, ReadAheadMixin
from core.cache import cached, cached_hit
from core.errors import ApplicationError
from core.ids import MAX_COUNT
from core.parsers import FormParser, JSONParser, MultiPartParser
from marketplace.caching import TAG_ALL, TAG_LISTS
from marketplace.errors import CatalogueErrorCode
from marketplace.filters import ProductFilter
from marketplace.models import Category, Product, ProductImage, ProductStatus, Shop
from marketplace.permissions import IsShopOwnerOrReadOnly
from marketplace.selectors import catalogue as selectors
from marketplace.services import catalogue as services
from marketplace.services import images as image_services


class ProductPagination(Pagination):
    """Pages that price and illustrate only their own rows (see ``ProductPaginator``)."""

    django_paginator_class = selectors.ProductPaginator


# --- serializers -------------------------------------------------------------------------------


class ShopBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Shop
        fields = ["id", "slug", "name"]


class ShopSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.username", read_only=True)
    url = serializers.CharField(source="get_absolute_url", read_only=True)

    class Meta:
        model = Shop
        fields = [
            "id",
            "slug",
            "name",
            "description",
            "logo",
            "url",
            "owner",
            "visibility",
            "follower_count",
            "rating_avg",
            "rating_count",
            "created_at",
        ]
        read_only_fields = fields


class ShopCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=80)
    slug = serializers.SlugField(max_length=80, required=False, allow_blank=True, default="")
    description = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
    logo = serializers.FileField(required=False, help_text=_("JPEG, PNG or WebP."))


class ShopUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=80, required=False)
    description = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    logo = serializers.FileField(required=False, help_text=_("JPEG, PNG or WebP."))


class CategorySerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)

    class Meta:
        model = Category
        fields = ["id", "slug", "name", "parent", "path", "position"]


class CategoryBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "slug", "name"]


class ProductImageSerializer(serializers.ModelSerializer):
    image = serializers.ImageField(read_only=True, help_text=_("The cleaned original."))
    image_320 = serializers.ImageField(read_only=True, allow_null=True, help_text=_("320 px WebP, once made."))
    image_960 = serializers.ImageField(read_only=True, allow_null=True, help_text=_("960 px WebP, once made."))

    class Meta:
        model = ProductImage
        fields = ["id", "image", "image_320", "image_960", "width", "height", "position"]


class ProductSerializer(serializers.ModelSerializer):
    shop = ShopBriefSerializer(read_only=True)
    category = CategoryBriefSerializer(read_only=True)
    price = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True, help_text=_("List price."))
    effective_price = serializers.DecimalField(
        max_digits=12, decimal_places=2, read_only=True, help_text=_("What a buyer pays now (a live deal, else price).")
    )
    deal_id = serializers.IntegerField(read_only=True, allow_null=True, help_text=_("The live deal, if any."))
    units_left = serializers.IntegerField(
        read_only=True, help_text=_("How many a buyer can get now: the stock, or the live deal's flash units left.")
    )
    sold_out = serializers.BooleanField(read_only=True, help_text=_("Nothing left to buy now (see units_left)."))
    currency = serializers.SerializerMethodField()
    url = serializers.CharField(source="get_absolute_url", read_only=True)
    images = ProductImageSerializer(many=True, read_only=True)

    class Meta:
        model = Product
        fields = [
            "id",
            "url",
            "title",
            "description",
            "price",
            "effective_price",
            "deal_id",
            "currency",
            "stock",
            "units_left",
            "sold_out",
            "status",
            "visibility",
            "sales_count",
            "rating_avg",
            "rating_count",
            "shop",
            "category",
            "images",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_currency(self, obj) -> str:
        return settings.CURRENCY


class ProductWriteSerializer(serializers.Serializer):
    category = serializers.SlugRelatedField(slug_field="slug", queryset=Category.objects.all())
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=10000, required=False, allow_blank=True)
    price = serializers.DecimalField(max_digits=12, decimal_places=2)
    stock = serializers.IntegerField(min_value=0, max_value=MAX_COUNT, required=False)
    status = serializers.ChoiceField(
        choices=[(s.value, s.label) for s in services.SELLER_STATUSES],
        required=False,
        help_text=_("draft or active (DELETE removes a product)."),
    )


class ImageUploadSerializer(serializers.Serializer):
    image = serializers.FileField(help_text=_("A JPEG, PNG or WebP file."))


# --- views -------------------------------------------------------------------------------------


@extend_schema_view(
    create=extend_schema(request=ShopCreateSerializer, responses={201: ShopSerializer}),
    update=extend_schema(request=ShopUpdateSerializer, responses=ShopSerializer),
    partial_update=extend_schema(request=ShopUpdateSerializer, responses=ShopSerializer),
)
class ShopViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Shops. Any signed-in user without a shop may open one; owners (and staff) edit it."""

    serializer_class = ShopSerializer
    permission_classes = [IsShopOwnerOrReadOnly]
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    lookup_field = "slug"
    filter_backends = []

    def get_queryset(self):
        if self.request.method in ("PUT", "PATCH"):
            return Shop.objects.all()
        return selectors.shop_list_public()

    def create(self, request):
        data = ShopCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        shop = services.shop_create(owner=request.user, **data.validated_data)
        return Response(ShopSerializer(shop, context={"request": request}).data, status=status.HTTP_201_CREATED)

    def update(self, request, slug=None, partial=False):
        shop = self.get_object()
        data = ShopUpdateSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        shop = services.shop_update(shop=shop, **data.validated_data)
        return Response(ShopSerializer(shop, context={"request": request}).data)

    def partial_update(self, request, slug=None):
        return self.update(request, slug=slug, partial=True)


class CategoryViewSet(viewsets.ReadOnlyModelViewSet):
    """The category tree, flat in tree order (``path``: ``parent-slug/child-slug``)."""

    serializer_class = CategorySerializer
    queryset = Category.objects.select_related("parent").order_by("path")
    lookup_field = "slug"
    pagination_class = None
    filter_backends = []


def _with_images(queryset):
    return queryset.prefetch_related(Prefetch("images", queryset=ProductImage.objects.order_by("position", "id")))


#: What the cached product list depends on.
_LIST_TAGS = (TAG_ALL, TAG_LISTS)


@extend_schema_view(
    create=extend_schema(request=ProductWriteSerializer, responses={201: ProductSerializer}),
    update=extend_schema(request=ProductWriteSerializer, responses=ProductSerializer),
    partial_update=extend_schema(request=ProductWriteSerializer, responses=ProductSerializer),
)
class ProductViewSet(EarlyAnswerMixin, ReadAheadMixin, viewsets.ModelViewSet):
    """Products. The list shows public products (active, of active shops), filtered and
    ordered by the query parameters; owners and staff see a shop's other products by id."""

    serializer_class = ProductSerializer
    permission_classes = [IsShopOwnerOrReadOnly]
    filterset_class = ProductFilter
    pagination_class = ProductPagination
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return _with_images(selectors.product_list_public(now=getattr(self, "now", None)))

    def _list_entry(self, request) -> dict[str, tuple[str, ...]]:
        """The list's cache entry for this request: ``{key: tags}``."""
        key = getattr(self, "_list_key", None)
        if key is None:
            self._list_key = key = "cat:api:products:" + hashlib.sha1(request.build_absolute_uri().encode()).hexdigest()
        return {key: _LIST_TAGS}

    def answer_early(self, request, *args, **kwargs):
        """The cached list for a GET with an API token, before DRF builds its request
        (``core.api.EarlyAnswerMixin``): the token's person and the list read ahead in one round
        trip, the throttles' counter in a second, the same body and headers as the whole way.
        A list not cached yet, or any request the mixin does not answer early, goes the whole way."""
        if request.method != "GET" or self.action_map.get("get") != "list":
            return None
        self.action = "list"
        caller = self.early_caller(request, kwargs)
        if caller is None:
            return None
        ((key, tags),) = self._list_entry(request).items()
        hit, body = cached_hit(key, tags=tags)
        if not hit or self.early_throttled(caller):
            return None
        return self.early_response(body)

    def ahead_entries(self, request) -> dict:
        """The list's answer is read ahead with the token's person (one round trip)."""
        return self._list_entry(request) if self.action == "list" else {}

    def list(self, request, *args, **kwargs):
        """Served from the versioned cache as ready JSON (see ``core/cache.py``)."""
        ((key, tags),) = self._list_entry(request).items()

        def build():
            self.now = timezone.now()
            data = super(ProductViewSet, self).list(request, *args, **kwargs).data
            boundary = selectors.catalogue_next_price_change()
            return JSONRenderer().render(data), boundary.timestamp() if boundary else None

        body = cached(key, tags=tags, build=build)
        if isinstance(request.accepted_renderer, JSONRenderer):
            return HttpResponse(body, content_type="application/json")
        return Response(json.loads(body))  # the browsable API

    def retrieve(self, request, pk=None):
        product = selectors.product_get_visible(product_id=pk, user=request.user)
        return Response(self.get_serializer(product).data)

    def _writable(self, pk) -> Product:
        product = selectors.product_get_for_update(product_id=pk)
        self.check_object_permissions(self.request, product)
        return product

    def _respond(self, product: Product, code=status.HTTP_200_OK) -> Response:
        fresh = selectors.product_get_visible(product_id=product.pk, user=self.request.user)
        return Response(self.get_serializer(fresh).data, status=code)

    def create(self, request):
        shop = selectors.shop_get_for_owner(user=request.user)
        if shop is None:
            raise ApplicationError(
                _("Open a shop before adding products."), status=403, code=CatalogueErrorCode.NO_SHOP
            )
        data = ProductWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        product = services.product_create(shop=shop, **data.validated_data)
        return self._respond(product, status.HTTP_201_CREATED)

    def update(self, request, pk=None, partial=False):
        product = self._writable(pk)
        data = ProductWriteSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        product = services.product_update(product=product, **data.validated_data)
        return self._respond(product)

    def partial_update(self, request, pk=None):
        return self.update(request, pk=pk, partial=True)

    def destroy(self, request, pk=None):
        """The owner removes the product (kept for past orders); staff hide it."""
        services.product_remove(product=self._writable(pk), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        filters=False,
        parameters=[
            OpenApiParameter(
                "status", enum=ProductStatus.values, description=_("Only products of this status (e.g. draft).")
            )
        ],
        responses=ProductSerializer(many=True),
    )
    @action(detail=False, methods=["get"], permission_classes=[permissions.IsAuthenticated], filter_backends=[])
    def mine(self, request):
        """The products of my shop in every status (draft, active) and visibility (``visibility``:
        removed by me, hidden or held by a moderator), newest first (``?status=`` for one).
        403 ``no_shop`` without a shop."""
        shop = selectors.shop_get_for_owner(user=request.user)
        if shop is None:
            raise ApplicationError(_("You have no shop yet."), status=403, code=CatalogueErrorCode.NO_SHOP)
        status_filter = request.query_params.get("status") or None
        if status_filter is not None and status_filter not in ProductStatus.values:
            raise ApplicationError(
                _("Unknown product status “%(status)s”.") % {"status": status_filter[:40]},
                code=CatalogueErrorCode.INVALID_STATUS,
            )
        products = _with_images(selectors.product_list_for_shop_owner(shop=shop, status=status_filter))
        page = self.paginate_queryset(products)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        methods=["GET"], request=None, responses=ProductImageSerializer(many=True), filters=False, parameters=[]
    )
    @extend_schema(
        methods=["POST"],
        request={"multipart/form-data": ImageUploadSerializer},
        responses={201: ProductImageSerializer},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="images",
        parser_classes=[MultiPartParser, FormParser],
        filter_backends=[],
        pagination_class=None,
    )
    def images(self, request, pk=None):
        """List a product's images, or upload one (multipart ``image``; owner only). The
        320/960 px WebP sizes appear a moment later (``image_320``/``image_960`` null until then)."""
        if request.method == "GET":
            product = selectors.product_get_visible(product_id=pk, user=request.user)
            return Response(ProductImageSerializer(product.images.all(), many=True, context={"request": request}).data)
        product = self._writable(pk)
        data = ImageUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        image = image_services.product_image_add(product=product, upload=data.validated_data["image"])
        return Response(ProductImageSerializer(image, context={"request": request}).data, status=201)

    @extend_schema(request=None, responses={204: None}, filters=False)
    @action(detail=True, methods=["delete"], url_path=r"images/(?P<image_id>\d+)", filter_backends=[])
    def image_delete(self, request, pk=None, image_id=None):
        """Delete one image of a product (owner only)."""
        product = self._writable(pk)
        image_services.product_image_delete(image=selectors.product_image_get(product=product, image_id=image_id))
        return Response(status=status.HTTP_204_NO_CONTENT)
