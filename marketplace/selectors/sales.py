"""Sale reads: sale lists and pages, a sale's deals with their prices, vouchers, leaderboards.

Every price here comes from :mod:`marketplace.selectors.pricing` (``product_annotate_prices`` for
what a buyer pays now, ``deal_price_expression`` for a deal's own price), and every read takes
``now`` so tests can travel in time. A sale's phase is decided by the clock, never by the
``status`` column (which Celery keeps in step for display and side effects).
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime

from django.core.paginator import Paginator
from django.db.models import (
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import Cast, Concat, Round, RowNumber
from django.utils import timezone

from core.cache import cached
from core.visibility import Visibility
from marketplace.caching import TAG_ALL, TAG_LISTS, shop_vouchers_tag
from marketplace.models import (
    Category,
    Deal,
    DealStatus,
    Product,
    ProductImage,
    ProductStatus,
    SaleEvent,
    SaleRanking,
    SaleStatus,
    Shop,
    Voucher,
    VoucherClaim,
)
from marketplace.selectors.catalogue import product_next_price_change, product_public_q, shop_public_q
from marketplace.selectors.pricing import (
    MONEY,
    PERCENT,
    deal_annotate_availability,
    deal_price_expression,
    product_annotate_prices,
)

DEALS_PER_PAGE = 24
#: The most vouchers a shop's voucher box (shop and product pages) shows; the rest are on its
#: voucher page.
VOUCHER_BOX_SIZE = 6
#: The most participating shops' vouchers a sale page lists.
SALE_VOUCHERS = 24
DEAL_SORTS = {
    "discount": ("-percent_saved", "sale_price", "id"),
    "popular": ("-product__sales_count", "-flash_sold", "id"),
    "price": ("sale_price", "id"),
}
DEFAULT_SORT = "discount"


def sale_status_at(sale: SaleEvent, *, now: datetime) -> str:
    """The sale's status by the clock: scheduled before ``starts_at``, live until ``ends_at``."""
    if now < sale.starts_at:
        return SaleStatus.SCHEDULED
    if now < sale.ends_at:
        return SaleStatus.LIVE
    return SaleStatus.ENDED


def _status_expression(now: datetime) -> Case:
    return Case(
        When(starts_at__gt=now, then=Value(SaleStatus.SCHEDULED)),
        When(ends_at__gt=now, then=Value(SaleStatus.LIVE)),
        default=Value(SaleStatus.ENDED),
    )


def sale_list(*, now: datetime | None = None, status: str | None = None) -> QuerySet[SaleEvent]:
    """Sales with ``current_status`` (by the clock) and ``deal_count`` (approved deals): live
    ones first, then upcoming by start, then ended ones, most recent first."""
    now = now or timezone.now()
    sales = SaleEvent.objects.annotate(
        current_status=_status_expression(now),
        deal_count=Count("deals", filter=Q(deals__status=DealStatus.APPROVED)),
        status_order=Case(
            When(starts_at__gt=now, then=Value(1)),
            When(ends_at__gt=now, then=Value(0)),
            default=Value(2),
        ),
    )
    if status:
        sales = sales.filter(current_status=status)
    return sales.order_by("status_order", "starts_at", "id")


def sale_get(*, slug: str, now: datetime | None = None) -> SaleEvent:
    """One sale by slug with ``current_status``; raises ``SaleEvent.DoesNotExist``."""
    return sale_list(now=now).get(slug=slug)


def sale_get_by_id(*, sale_id: int) -> SaleEvent | None:
    """One sale by id (no annotations), or None."""
    return SaleEvent.objects.filter(pk=sale_id).first()


def shop_ids_in_sale(*, sale_id: int) -> list[int]:
    """Ids of the (active) shops with at least one approved deal on an active product in the
    sale: whose followers hear about it opening."""
    return list(
        Deal.objects.filter(
            product_public_q("product__"),
            sale_id=sale_id,
            status=DealStatus.APPROVED,
        )
        .order_by("product__shop_id")
        .values_list("product__shop_id", flat=True)
        .distinct()
    )


def _category_subtree(slug: str) -> Q:
    """Products in the category with this slug or any of its descendants, without a lookup
    query: the category's materialised path is compared in SQL."""
    path = Subquery(Category.objects.filter(slug=slug).values("path")[:1])
    return Q(product__category__path=path) | Q(product__category__path__startswith=Concat(path, Value("/")))


def sale_deal_list(
    *,
    sale: SaleEvent | None = None,
    sale_ids: list[int] | None = None,
    now: datetime | None = None,
    category: str | None = None,
    shop: str | None = None,
    sort: str = DEFAULT_SORT,
) -> QuerySet[Deal]:
    """The approved deals of ``sale`` on active products of active shops, with:

    - ``list_price``: the product's own price;
    - ``sale_price``: this deal's price (shown as a teaser before the sale opens);
    - ``percent_saved``: how much this deal takes off, in whole percent;
    - ``units_left`` / ``sold_out``: what is left to buy through this deal (the sold-out rule of
      :func:`~marketplace.selectors.pricing.annotate_availability`);
    - ``effective_price`` / ``live_deal_id``: what a buyer pays at ``now`` and through which deal
      (:func:`product_annotate_prices`: outside the sale window that is the list price, or a
      cheaper deal of another live sale).

    Filters: ``category`` (slug, includes sub-categories), ``shop`` (slug). ``sort`` is one of
    :data:`DEAL_SORTS`. Product, shop, category and images are loaded with the deals. ``sale_ids``
    instead of ``sale``: the deals of several sales at once (:func:`sale_showcase`).
    """
    now = now or timezone.now()
    priced = product_annotate_prices(Product.objects.filter(pk=OuterRef("product_id")), now=now)
    deals = (
        deal_annotate_availability(Deal.objects.all())
        .filter(
            product_public_q("product__"),
            Q(sale=sale) if sale is not None else Q(sale_id__in=sale_ids or []),
            status=DealStatus.APPROVED,
        )
        .select_related("product__shop", "product__category")
        .prefetch_related(Prefetch("product__images", queryset=ProductImage.objects.order_by("position", "id")))
        .annotate(
            list_price=F("product__price"),
            sale_price=deal_price_expression(F("product__price")),
        )
        .annotate(
            percent_saved=Cast(
                Round(
                    ExpressionWrapper(
                        (F("list_price") - F("sale_price")) / (F("list_price") * PERCENT), output_field=MONEY
                    )
                ),
                IntegerField(),
            ),
            effective_price=Subquery(priced.values("effective_price")[:1], output_field=MONEY),
            live_deal_id=Subquery(priced.values("deal_id")[:1]),
        )
    )
    if category:
        deals = deals.filter(_category_subtree(category))
    if shop:
        deals = deals.filter(product__shop__slug=shop)
    return deals.order_by(*DEAL_SORTS.get(sort, DEAL_SORTS[DEFAULT_SORT]))


def sale_facets(*, sale: SaleEvent) -> dict[str, list]:
    """The categories and shops that have approved deals in the sale (for the filter menus)."""
    in_sale = product_public_q("products__") & Q(
        products__deals__sale=sale, products__deals__status=DealStatus.APPROVED
    )
    categories = Category.objects.filter(in_sale).distinct().order_by("name")
    shops = Shop.objects.filter(in_sale).distinct().order_by("name")
    return {"categories": list(categories), "shops": list(shops)}


# --- The sale page's deal cards (cached) -------------------------------------------------------


@dataclass(frozen=True)
class DealCardPage:
    """One page of deal cards: plain dicts (cacheable), and the paging facts."""

    cards: list[dict]
    number: int
    num_pages: int
    count: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages


def _card(deal: Deal) -> dict:
    product = deal.product
    image = next(iter(product.images.all()), None)
    return {
        "deal_id": deal.id,
        "product_id": product.id,
        "title": product.title,
        "url": product.get_absolute_url(),
        "image_url": image.thumb_url if image else "",
        "shop_name": product.shop.name,
        "shop_slug": product.shop.slug,
        "category_name": product.category.name,
        "list_price": deal.list_price,
        "sale_price": deal.sale_price,
        "effective_price": deal.effective_price,
        "price_is_this_deal": deal.live_deal_id == deal.id,
        "percent_saved": deal.percent_saved,
        "flash_quantity": deal.flash_quantity,
        "per_buyer_limit": deal.per_buyer_limit,
    }


def sale_deal_cards(
    *,
    sale: SaleEvent,
    now: datetime | None = None,
    category: str = "",
    shop: str = "",
    sort: str = DEFAULT_SORT,
    page: int = 1,
) -> DealCardPage:
    """A page of the sale's deal cards at ``now``, read through the catalogue cache.

    The key holds the sale's phase by the clock (scheduled/live/ended), so the page flips at the
    second the sale opens even while an older entry is cached; the entry also expires at the
    next sale boundary and is dropped by any product or deal write (catalogue cache tags). Live
    counters are not in here: see :func:`deal_counters`.
    """
    now = now or timezone.now()
    sort = sort if sort in DEAL_SORTS else DEFAULT_SORT
    status = sale_status_at(sale, now=now)
    # Filters come from the query string: hash them into a key that is always valid and short.
    filters = hashlib.sha1(f"{sort}|{category}|{shop}|{page}".encode()).hexdigest()[:16]
    key = f"sale:{sale.id}:{status}:cards:{filters}"

    def build():
        deals = sale_deal_list(sale=sale, now=now, category=category or None, shop=shop or None, sort=sort)
        paginator = Paginator(deals, DEALS_PER_PAGE)
        current = paginator.get_page(page)
        result = DealCardPage(
            cards=[_card(deal) for deal in current.object_list],
            number=current.number,
            num_pages=paginator.num_pages,
            count=paginator.count,
        )
        expires_at = product_next_price_change(now=now)
        return result, expires_at.timestamp() if expires_at else None

    return cached(key, tags=[TAG_ALL, TAG_LISTS], build=build)


def deal_counters(*, deal_ids: list[int]) -> dict[int, dict]:
    """Fresh flash and stock counters for the given deals: ``{id: {"flash_sold", "flash_quantity",
    "stock", "sold_out", "sold_percent"}}``. One query; never cached (a flash deal sells out in
    seconds)."""
    counters = {}
    rows = deal_annotate_availability(Deal.objects.filter(id__in=deal_ids)).values_list(
        "id", "flash_sold", "flash_quantity", "product__stock", "sold_out"
    )
    for deal_id, sold, quantity, stock, sold_out in rows:
        counters[deal_id] = {
            "flash_sold": sold,
            "flash_quantity": quantity,
            "stock": stock,
            "sold_out": sold_out,
            "sold_percent": 0 if not quantity else min(100, round(sold * 100 / quantity)),
        }
    return counters


# --- The sales page and the home page: each sale's flash and featured deals --------------------

#: Flash deals, and featured (biggest discount) other deals, shown per sale on the sales page.
SHOWCASE_PER_SALE = 4


def _counters(deal: Deal) -> dict:
    quantity, sold = deal.flash_quantity, deal.flash_sold
    return {
        "flash_sold": sold,
        "flash_quantity": quantity,
        "sold_out": deal.sold_out,
        "sold_percent": 0 if not quantity else min(100, round(sold * 100 / quantity)),
    }


def sale_showcase(
    *, sales: list[SaleEvent], now: datetime | None = None, per_sale: int = SHOWCASE_PER_SALE
) -> dict[int, dict[str, list[dict]]]:
    """For each of ``sales`` (by id): ``{"flash": [...], "featured": [...]}``, at most
    ``per_sale`` each, as deal cards (:func:`_card`) with fresh counters (``flash_sold``,
    ``flash_quantity``, ``sold_out``, ``sold_percent``). Flash deals still to be had come first,
    most-sold first (the ones going fast), sold-out ones last; featured deals are the other deals
    with the biggest discount. Two queries
    (deals, their images) however many sales and deals; never cached (flash counters move by the
    second)."""
    showcase = {sale.id: {"flash": [], "featured": []} for sale in sales}
    if not sales:
        return showcase
    ranked = (
        sale_deal_list(sale_ids=list(showcase), now=now)
        .annotate(
            is_flash=Case(When(flash_quantity__isnull=False, then=Value(True)), default=Value(False)),
            sold_share=Case(
                When(flash_quantity__gt=0, then=F("flash_sold") * 1000 / F("flash_quantity")),
                default=Value(0),
                output_field=IntegerField(),
            ),
        )
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("sale_id"), F("is_flash")],
                order_by=[F("sold_out").asc(), F("sold_share").desc(), F("percent_saved").desc(), F("id").asc()],
            )
        )
        .filter(rank__lte=per_sale)
        .order_by("sale_id", "rank")
    )
    for deal in ranked:
        showcase[deal.sale_id]["flash" if deal.is_flash else "featured"].append({**_card(deal), **_counters(deal)})
    return showcase


# --- Leaderboards -------------------------------------------------------------------------------


def sale_ranking_list(*, sale: SaleEvent) -> dict[str, list[SaleRanking]]:
    """The sale's last computed leaderboards: ``{"shop": [...], "product": [...]}`` by rank."""
    rankings = {SaleRanking.Kind.SHOP: [], SaleRanking.Kind.PRODUCT: []}
    for row in SaleRanking.objects.filter(sale=sale).select_related("shop", "product").order_by("kind", "rank"):
        rankings[row.kind].append(row)
    return {"shop": rankings[SaleRanking.Kind.SHOP], "product": rankings[SaleRanking.Kind.PRODUCT]}


# --- Seller's view of their enrolments ----------------------------------------------------------


def deal_list_for_seller(*, sale: SaleEvent, user) -> QuerySet[Deal]:
    """The deals the user's shop has enrolled in ``sale`` (any status), with product loaded."""
    return (
        Deal.objects.filter(sale=sale, product__shop__owner=user)
        .select_related("product")
        .annotate(sale_price=deal_price_expression(F("product__price")))
        .order_by("product__title", "id")
    )


def product_list_enrollable(*, user) -> QuerySet[Product]:
    """The user's own active products: what their shop may enrol into a sale."""
    return Product.objects.filter(
        shop__owner=user, status=ProductStatus.ACTIVE, visibility=Visibility.VISIBLE
    ).order_by("title", "id")


# --- Vouchers -----------------------------------------------------------------------------------


def voucher_list_for_shop(*, shop: Shop, user=None, now: datetime | None = None) -> QuerySet[Voucher]:
    """The shop's vouchers that can still be claimed or used (``valid_until > now``), cheapest
    threshold first, with ``remaining`` and ``claimed_by_me`` (False for anonymous users)."""
    now = now or timezone.now()
    mine = (
        Exists(VoucherClaim.objects.filter(voucher=OuterRef("pk"), user=user))
        if user is not None and user.is_authenticated
        else Value(False)
    )
    return (
        Voucher.objects.filter(shop=shop, valid_until__gt=now)
        .select_related("shop")
        .annotate(remaining=F("total") - F("claimed_count"), claimed_by_me=mine)
        .order_by("min_spend", "id")
    )


def voucher_list_claimable_for_shop(*, shop_id: int, now: datetime | None = None) -> list[dict]:
    """The shop's vouchers a shopper can claim now (not ended, some left), as plain values for
    the voucher box of the shop and product pages, cached under the shop's voucher tag (bumped
    by every offer, end and claim) until the first of them starts or ends. One Redis round trip;
    one query when the entry is rebuilt."""
    now = now or timezone.now()

    def build():
        rows = list(
            Voucher.objects.filter(
                shop_public_q("shop__"), shop_id=shop_id, valid_until__gt=now, claimed_count__lt=F("total")
            )
            .annotate(remaining=F("total") - F("claimed_count"))
            .order_by("min_spend", "id")
            .values(
                "id",
                "title",
                "min_spend",
                "discount",
                "remaining",
                "valid_from",
                "valid_until",
                owner_id=F("shop__owner_id"),
                shop_slug=F("shop__slug"),
            )[:VOUCHER_BOX_SIZE]
        )
        boundaries = [r["valid_until"] for r in rows] + [r["valid_from"] for r in rows if r["valid_from"] > now]
        return rows, min(boundaries).timestamp() if boundaries else None

    return cached(f"mkt:vouchers:shop:{shop_id}", tags=(shop_vouchers_tag(shop_id),), build=build)


def voucher_ids_claimed(*, user, voucher_ids) -> set[int]:
    """Which of ``voucher_ids`` the user has claimed (one indexed query)."""
    if not voucher_ids:
        return set()
    return set(
        VoucherClaim.objects.filter(user=user, voucher_id__in=list(voucher_ids)).values_list("voucher_id", flat=True)
    )


def voucher_list_for_sale(*, sale: SaleEvent, user=None, now: datetime | None = None) -> QuerySet[Voucher]:
    """Vouchers of the shops taking part in ``sale`` (an approved deal in it) that can still be
    claimed or used, shop by shop, each with ``remaining`` and ``claimed_by_me`` (one query)."""
    now = now or timezone.now()
    in_sale = Deal.objects.filter(
        product_public_q("product__"), sale=sale, status=DealStatus.APPROVED, product__shop=OuterRef("shop")
    )
    mine = (
        Exists(VoucherClaim.objects.filter(voucher=OuterRef("pk"), user=user))
        if user is not None and user.is_authenticated
        else Value(False)
    )
    return (
        Voucher.objects.filter(Exists(in_sale), valid_until__gt=now)
        .select_related("shop")
        .annotate(remaining=F("total") - F("claimed_count"), claimed_by_me=mine)
        .order_by("shop__name", "shop_id", "min_spend", "id")[:SALE_VOUCHERS]
    )


def voucher_list_for_owner(*, user) -> QuerySet[Voucher]:
    """Every voucher of the user's shop (for its management page), newest first, with how many
    were claimed (``claimed_count``) and ``used`` in orders (one query)."""
    return (
        Voucher.objects.filter(shop__owner=user)
        .select_related("shop")
        .annotate(used=Count("claims", filter=Q(claims__used_at__isnull=False)))
        .order_by("-valid_until", "-id")
    )
