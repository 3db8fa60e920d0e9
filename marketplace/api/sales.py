"""API for sales: sale events, their deals (with effective prices and flash counters), deal
enrolment by sellers, shop vouchers and claiming them. Thin: validate, call a selector or
service, serialize."""

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.ids import MAX_COUNT, MAX_ID
from marketplace.models import Deal, SaleEvent, SaleStatus, Voucher, VoucherClaim
from marketplace.selectors import sales as sale_selectors
from marketplace.selectors.catalogue import shop_get_for_writing, shop_get_public
from marketplace.services import sales as sale_services

# --- Serializers ----------------------------------------------------------------------------------


class SaleSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(
        source="current_status", choices=SaleStatus.choices, help_text=_("By the clock, at the time of the request.")
    )
    deal_count = serializers.IntegerField(help_text=_("Approved deals in the sale."))
    url = serializers.CharField(source="get_absolute_url", help_text=_("The sale page."))

    class Meta:
        model = SaleEvent
        fields = ["id", "name", "slug", "description", "banner", "starts_at", "ends_at", "status", "deal_count", "url"]


class RankingSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    id = serializers.IntegerField()
    name = serializers.CharField()
    units_sold = serializers.IntegerField()


class SaleDetailSerializer(SaleSerializer):
    server_time = serializers.SerializerMethodField(help_text=_("Now, by the server: count down from this."))
    top_shops = serializers.SerializerMethodField()
    top_products = serializers.SerializerMethodField()

    class Meta(SaleSerializer.Meta):
        fields = [*SaleSerializer.Meta.fields, "server_time", "top_shops", "top_products"]

    def get_server_time(self, sale) -> str:
        return serializers.DateTimeField().to_representation(self.context["now"])

    @extend_schema(responses=RankingSerializer(many=True))
    def get_top_shops(self, sale) -> list[dict]:
        rows = self.context["rankings"]["shop"]
        return [{"rank": r.rank, "id": r.shop_id, "name": r.shop.name, "units_sold": r.units_sold} for r in rows]

    @extend_schema(responses=RankingSerializer(many=True))
    def get_top_products(self, sale) -> list[dict]:
        rows = self.context["rankings"]["product"]
        return [{"rank": r.rank, "id": r.product_id, "name": r.product.title, "units_sold": r.units_sold} for r in rows]


class DealProductSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    url = serializers.CharField(source="get_absolute_url")
    image = serializers.SerializerMethodField()
    shop = serializers.SlugField(source="shop.slug")
    shop_name = serializers.CharField(source="shop.name")
    category = serializers.SlugField(source="category.slug")
    stock = serializers.IntegerField()

    def get_image(self, product) -> str | None:
        image = next(iter(product.images.all()), None)
        return image.thumb_url if image else None


class FlashSerializer(serializers.Serializer):
    quantity = serializers.IntegerField(source="flash_quantity")
    sold = serializers.IntegerField(source="flash_sold")
    remaining = serializers.SerializerMethodField()

    def get_remaining(self, deal) -> int:
        return deal.flash_quantity - deal.flash_sold


class DealSerializer(serializers.ModelSerializer):
    product = DealProductSerializer()
    list_price = serializers.DecimalField(max_digits=12, decimal_places=2, help_text=_("The product's own price."))
    sale_price = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text=_("This deal's price while the sale is live.")
    )
    effective_price = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text=_("What a buyer pays now (read-time pricing).")
    )
    price_is_this_deal = serializers.SerializerMethodField(help_text=_("The effective price comes from this deal."))
    percent_saved = serializers.IntegerField()
    flash = serializers.SerializerMethodField(
        help_text=_("Flash quantity and how many sold; null if not a flash deal.")
    )
    sold_out = serializers.BooleanField(help_text=_("Nothing left to buy through this deal now."))

    class Meta:
        model = Deal
        fields = [
            "id",
            "product",
            "list_price",
            "sale_price",
            "effective_price",
            "price_is_this_deal",
            "percent_saved",
            "deal_price",
            "percent_off",
            "flash",
            "per_buyer_limit",
            "sold_out",
        ]

    def get_price_is_this_deal(self, deal) -> bool:
        return deal.live_deal_id == deal.id

    @extend_schema(responses=FlashSerializer(allow_null=True))
    def get_flash(self, deal) -> dict | None:
        return None if deal.flash_quantity is None else FlashSerializer(deal).data


class DealEnrolSerializer(serializers.Serializer):
    product = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text=_("Id of one of your shop's active products.")
    )
    deal_price = serializers.DecimalField(max_digits=12, decimal_places=2, required=False, allow_null=True)
    percent_off = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=99)
    flash_quantity = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=MAX_COUNT)
    per_buyer_limit = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=MAX_COUNT)


class DealEnrolmentSerializer(serializers.ModelSerializer):
    sale = serializers.SlugField(source="sale.slug")

    class Meta:
        model = Deal
        fields = ["id", "sale", "product", "deal_price", "percent_off", "flash_quantity", "per_buyer_limit", "status"]


class VoucherSerializer(serializers.ModelSerializer):
    shop = serializers.SlugField(source="shop.slug", read_only=True)
    remaining = serializers.IntegerField(read_only=True)
    claimed_by_me = serializers.BooleanField(read_only=True)
    claim_url = serializers.SerializerMethodField()

    class Meta:
        model = Voucher
        fields = [
            "id",
            "shop",
            "title",
            "min_spend",
            "discount",
            "total",
            "claimed_count",
            "remaining",
            "valid_from",
            "valid_until",
            "claimed_by_me",
            "claim_url",
        ]
        read_only_fields = ["claimed_count"]

    def get_claim_url(self, voucher) -> str:
        return f"/api/v1/vouchers/{voucher.id}/claim/"


class VoucherClaimSerializer(serializers.ModelSerializer):
    class Meta:
        model = VoucherClaim
        fields = ["id", "voucher", "claimed_at", "used_at"]


# --- Views ----------------------------------------------------------------------------------------


@extend_schema(
    parameters=[OpenApiParameter("status", enum=SaleStatus.values, description="Only sales in this status now.")]
)
class SaleListView(generics.ListAPIView):
    """Sale events: live first, then upcoming, then ended."""

    serializer_class = SaleSerializer

    def get_queryset(self):
        return sale_selectors.sale_list(status=self.request.query_params.get("status") or None)


class SaleDetailView(APIView):
    """One sale, the server's clock (for countdowns) and its leaderboards."""

    @extend_schema(responses=SaleDetailSerializer)
    def get(self, request, slug):
        now = timezone.now()
        sale = get_object_or_404(sale_selectors.sale_list(now=now), slug=slug)
        context = {"now": now, "rankings": sale_selectors.sale_ranking_list(sale=sale)}
        return Response(SaleDetailSerializer(sale, context=context).data)


@extend_schema(
    parameters=[
        OpenApiParameter("sort", enum=list(sale_selectors.DEAL_SORTS), description="Default: discount."),
        OpenApiParameter("category", description="Category slug (sub-categories included)."),
        OpenApiParameter("shop", description="Shop slug."),
    ]
)
class SaleDealListView(generics.ListCreateAPIView):
    """GET: the sale's approved deals with effective prices and flash counters.
    POST (sellers): enrol one of your products; a moderator approves it."""

    serializer_class = DealSerializer
    queryset = Deal.objects.none()  # for the schema; requests use get_queryset

    def get_sale(self) -> SaleEvent:
        return get_object_or_404(SaleEvent, slug=self.kwargs["slug"])

    def get_queryset(self):
        params = self.request.query_params
        return sale_selectors.sale_deal_list(
            sale=self.get_sale(),
            category=params.get("category") or None,
            shop=params.get("shop") or None,
            sort=params.get("sort") or sale_selectors.DEFAULT_SORT,
        )

    @extend_schema(request=DealEnrolSerializer, responses={201: DealEnrolmentSerializer})
    def post(self, request, slug):
        data = DealEnrolSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        terms = data.validated_data
        deal = sale_services.deal_enrol(
            user=request.user, sale=self.get_sale(), product_id=terms.pop("product"), **terms
        )
        return Response(DealEnrolmentSerializer(deal).data, status=status.HTTP_201_CREATED)


class ShopVoucherListView(generics.ListCreateAPIView):
    """GET: the shop's current vouchers (``claimed_by_me`` for the caller).
    POST (the shop's owner): offer a new voucher."""

    serializer_class = VoucherSerializer
    queryset = Voucher.objects.none()  # for the schema; requests use get_queryset

    def get_queryset(self):
        shop = shop_get_public(slug=self.kwargs["slug"])
        return sale_selectors.voucher_list_for_shop(shop=shop, user=self.request.user)

    @extend_schema(request=VoucherSerializer, responses={201: VoucherSerializer})
    def post(self, request, slug):
        data = VoucherSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        voucher = sale_services.voucher_create(
            user=request.user, shop=shop_get_for_writing(slug=slug, user=request.user), **data.validated_data
        )
        voucher.remaining, voucher.claimed_by_me = voucher.total, False
        return Response(VoucherSerializer(voucher).data, status=status.HTTP_201_CREATED)


class VoucherClaimView(APIView):
    """Claim a voucher (one per user; 409 when all are claimed or you already have one)."""

    @extend_schema(request=None, responses={201: VoucherClaimSerializer})
    def post(self, request, pk):
        claim = sale_services.voucher_claim(user=request.user, voucher_id=pk)
        return Response(VoucherClaimSerializer(claim).data, status=status.HTTP_201_CREATED)
