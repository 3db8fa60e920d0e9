"""Reads for carts, checkout, orders and reviews. Every list here runs a fixed number of queries
whatever its length (pinned by query-count tests)."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from functools import cached_property

from django.contrib.auth import get_user_model
from django.db.models import Min, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import ApplicationError
from core.queries import CompiledQuery
from core.visibility import Visibility
from marketplace.errors import OrderErrorCode, ReviewErrorCode
from marketplace.models import (
    CartItem,
    Deal,
    DealPurchase,
    Order,
    OrderLine,
    OrderStatus,
    Product,
    ProductImage,
    RefundRequest,
    Review,
    Shop,
    VoucherClaim,
)
from marketplace.selectors.catalogue import catalogue_next_price_change, product_is_public, product_public_q
from marketplace.selectors.pricing import product_annotate_prices

#: What counts as a purchase everywhere — verified buyers, Q&A routing, units sold in a sale,
#: revenue: an order that was paid, and whatever a paid order moves on to. (A cancelled or
#: expired order never reached "paid".) Use the selectors below rather than this tuple.
#: An order with an open refund or return request is still a purchase until it is granted.
PURCHASED_STATUSES = (
    OrderStatus.PAID,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
    OrderStatus.COMPLETED,
    OrderStatus.REFUND_REQUESTED,
    OrderStatus.RETURN_REQUESTED,
)
REVIEWABLE_STATUSES = (OrderStatus.DELIVERED, OrderStatus.COMPLETED)
#: Most units of one product in one cart line (and one order line): the cart, checkout, the
#: forms and the API all use this one limit.
MAX_LINE_QUANTITY = 99


def line_quantity_limit_message() -> str:
    """What a buyer is told when asking for more than :data:`MAX_LINE_QUANTITY` units of a product."""
    return _("At most %(count)s of one product per order.") % {"count": MAX_LINE_QUANTITY}


#: What a buyer is told when a quantity is not a whole number ("abc", "1.5", blank): the cart
#: forms and the API serializers all use it.
QUANTITY_NOT_A_NUMBER = gettext_lazy("Quantity must be a whole number, such as 1 or 2.")


@dataclass(frozen=True)
class QuantityLimit:
    """How many units of a product a buyer may have in the cart now, and why not more."""

    allowed: int
    reason: str


def units_left_message(*, title: str, left: int, in_sale: bool) -> str:
    """The one wording of "not that many left": sold out, or only ``left`` left — "in this sale" /
    "at the sale price" when what runs out is the sale's flash units."""
    if left <= 0:
        message = _("“%(title)s” is sold out in this sale.") if in_sale else _("“%(title)s” is sold out.")
    else:
        message = (
            _("Only %(count)s of “%(title)s” left at the sale price.")
            if in_sale
            else _("Only %(count)s of “%(title)s” left.")
        )
    return message % {"title": title, "count": left}


def product_units_limit(*, product: Product) -> QuantityLimit:
    """What a price-annotated product's ``units_left`` / ``sold_out`` (the one sold-out rule,
    ``marketplace.selectors.pricing.annotate_availability``) allow, and what to say for more."""
    in_sale = product.flash_left is not None and product.flash_left < product.stock
    left = max(product.units_left, 0)
    return QuantityLimit(left, units_left_message(title=product.title, left=left, in_sale=in_sale))


def product_quantity_limit(*, product: Product, deal: Deal | None, bought: int = 0) -> QuantityLimit:
    """The most units of ``product`` (annotated by ``product_annotate_prices``) one buyer may order
    now: what is left (:func:`product_units_limit`), the sale's per-buyer limit and
    :data:`MAX_LINE_QUANTITY`. ``deal`` is its live deal, if any; ``bought`` the units of that deal
    the buyer already holds in unpaid or paid orders."""
    title = product.title
    if not product_is_public(product):
        return QuantityLimit(0, _("“%(title)s” is no longer available.") % {"title": title})
    limit = product_units_limit(product=product)
    if deal is not None and deal.per_buyer_limit is not None:
        mine = max(deal.per_buyer_limit - bought, 0)
        if mine < limit.allowed:
            values = {"limit": deal.per_buyer_limit, "title": title, "bought": bought}
            reason = (
                _("You can buy at most %(limit)s of “%(title)s” in this sale (you already have %(bought)s).")
                if bought
                else _("You can buy at most %(limit)s of “%(title)s” in this sale.")
            ) % values
            limit = QuantityLimit(mine, reason)
    if limit.allowed >= MAX_LINE_QUANTITY:
        limit = QuantityLimit(MAX_LINE_QUANTITY, line_quantity_limit_message())
    return limit


@dataclass
class CartLine:
    product: Product  # from _cart_products: priced, with its shop and first image's files
    quantity: int
    #: Set when the quantity is more than can be bought now (stock, flash units or limit fell).
    problem: str = ""
    #: The live deal behind its price, if any.
    deal: Deal | None = None

    @property
    def unit_price(self) -> Decimal:
        return self.product.effective_price

    @property
    def list_price(self) -> Decimal:
        return self.product.price

    @property
    def on_sale(self) -> bool:
        return self.product.effective_price < self.product.price

    @property
    def line_total(self) -> Decimal:
        return self.unit_price * self.quantity

    @cached_property
    def thumb_url(self) -> str:
        product = self.product
        if not product.first_image:
            return ""
        return ProductImage(image=product.first_image, image_320=product.first_image_320 or "").thumb_url


@dataclass
class CartShop:
    shop: Shop
    lines: list[CartLine] = field(default_factory=list)
    #: The buyer's claimed vouchers for this shop (``ShopVoucherOptions``), where a page sets them.
    vouchers: "ShopVoucherOptions | None" = None

    @property
    def subtotal(self) -> Decimal:
        return sum((line.line_total for line in self.lines), Decimal("0.00"))


@dataclass
class CartView:
    shops: list[CartShop]

    @property
    def lines(self) -> list[CartLine]:
        return [line for shop in self.shops for line in shop.lines]

    @property
    def total(self) -> Decimal:
        return sum((shop.subtotal for shop in self.shops), Decimal("0.00"))

    @property
    def count(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def has_problems(self) -> bool:
        return any(line.problem for line in self.lines)


#: The product and shop columns a cart shows and checks (title, prices, stock, whether public).
CART_PRODUCT_FIELDS = (
    "title",
    "price",
    "stock",
    "status",
    "visibility",
    "shop__name",
    "shop__slug",
    "shop__visibility",
)


def _cart_products(queryset: QuerySet[Product], *, now: datetime, buyer=None) -> QuerySet[Product]:
    """``queryset``'s products as a cart shows them: the columns of :data:`CART_PRODUCT_FIELDS`
    with the shop, priced for ``buyer`` at ``now`` (``product_annotate_prices``), and the files of
    the first image (``first_image`` / ``first_image_320``; empty without images)."""
    first = ProductImage.objects.filter(product=OuterRef("pk")).order_by("position", "id")
    return product_annotate_prices(
        queryset.select_related("shop").only(*CART_PRODUCT_FIELDS), now=now, buyer=buyer
    ).annotate(
        first_image=Subquery(first.values("image")[:1]),
        first_image_320=Subquery(first.values("image_320")[:1]),
    )


def _signed_in_cart_products(*, user_id: int, now: datetime) -> QuerySet[Product]:
    """The products in ``user_id``'s cart with ``quantity``, in the order they were added."""
    items = CartItem.objects.filter(cart__user_id=user_id)
    line = items.filter(product_id=OuterRef("pk"))
    products = Product.objects.filter(pk__in=items.values("product_id")).annotate(
        quantity=Subquery(line.values("quantity")[:1]),
        added_at=Subquery(line.values("added_at")[:1]),
        line_id=Subquery(line.values("id")[:1]),
    )
    buyer = get_user_model()(pk=user_id)
    return _cart_products(products, now=now, buyer=buyer).order_by("added_at", "line_id")


#: Stand for the clock while compiling (``core.queries``): never a real time.
_NOW_SENTINELS = (datetime(1901, 1, 2, 3, 4, 5, 678901, tzinfo=UTC), datetime(1902, 2, 3, 4, 5, 6, 789012, tzinfo=UTC))

#: The signed-in cart's query, compiled once per process (``core.queries``): building and
#: compiling its pricing subqueries cost ~20 ms of Python per cart page; prepared once per
#: connection: PostgreSQL spent ~7 ms planning it for <1 ms of execution.
_SIGNED_IN_CART = CompiledQuery(
    _signed_in_cart_products,
    prepare="jishi_cart_lines",
    user_id=(-7_300_101, -7_300_102),
    now=_NOW_SENTINELS,
)


def _cart_view(products: list[Product], quantities: Mapping[int, int], *, user=None) -> CartView:
    """Group ``products`` (from :func:`_cart_products`, in cart order) by shop, each line with its
    quantity and what is wrong with it (stock, flash units or the sale's per-buyer limit)."""
    deals = Deal.objects.in_bulk([p.deal_id for p in products if p.deal_id])
    bought = {}
    if user is not None and deals:
        bought = dict(DealPurchase.objects.filter(buyer=user, deal__in=list(deals)).values_list("deal_id", "quantity"))
    shops: dict[int, CartShop] = {}
    for product in products:
        quantity = quantities[product.pk]
        limit = product_quantity_limit(
            product=product, deal=deals.get(product.deal_id), bought=bought.get(product.deal_id, 0)
        )
        problem = limit.reason if quantity > limit.allowed else ""
        line = CartLine(product=product, quantity=quantity, problem=problem, deal=deals.get(product.deal_id))
        shops.setdefault(product.shop_id, CartShop(shop=product.shop)).lines.append(line)
    return CartView(shops=list(shops.values()))


def cart_get(*, user, now: datetime | None = None) -> CartView:
    """The signed-in user's cart at today's effective prices, grouped by shop. One query for the
    lines and their prices (compiled once per process), two more when a line has a live deal."""
    products = _SIGNED_IN_CART.run(user_id=user.pk, now=now or timezone.now())
    return _cart_view(products, {p.pk: p.quantity for p in products}, user=user)


def cart_product_and_shop_ids(*, user) -> list[tuple[int, int]]:
    """``(product id, shop id)`` of each line of ``user``'s cart: what a cached cart page shows
    beyond the cart itself, whose cache tags are read before the cart (``views.orders.cart``)."""
    return list(CartItem.objects.filter(cart__user_id=user.pk).values_list("product_id", "product__shop_id"))


def cart_next_change(*, cart: CartView, user, now: datetime) -> datetime | None:
    """The next instant ``user``'s cart page (``cart`` as read at ``now``) may change by the clock
    alone: a sale starts or ends (any sale: ``catalogue_next_price_change``), a live-room deal
    behind a line's price ends, or one of the user's unused voucher claims starts or stops being
    valid (the "spend ¥X more" prompts). One query (the claims) besides the cached sale boundary."""
    instants = [catalogue_next_price_change()]
    instants += [line.deal.ends_at for line in cart.lines if line.deal is not None and line.deal.ends_at]
    validity = VoucherClaim.objects.filter(user=user, used_at__isnull=True).aggregate(
        starts=Min("voucher__valid_from", filter=Q(voucher__valid_from__gt=now)),
        ends=Min("voucher__valid_until", filter=Q(voucher__valid_until__gt=now)),
    )
    instants += validity.values()
    return min((instant for instant in instants if instant is not None and instant > now), default=None)


def session_cart_get(*, items: Mapping[int, int], now: datetime | None = None) -> CartView:
    """An anonymous visitor's session cart (``{product_id: quantity}``), like :func:`cart_get`."""
    found = {p.pk: p for p in _cart_products(Product.objects.filter(pk__in=list(items)), now=now or timezone.now())}
    return _cart_view([found[pk] for pk in items if pk in found], items)


def voucher_claim_list_usable(*, user, shop_ids, now: datetime | None = None) -> QuerySet[VoucherClaim]:
    """The user's claimed, unused vouchers valid now for the given shops (for the checkout page).
    ``user`` may be an id, ``shop_ids`` a queryset of ids."""
    now = now or timezone.now()
    return (
        VoucherClaim.objects.select_related("voucher__shop")
        .filter(
            user=user,
            used_at__isnull=True,
            voucher__shop__in=shop_ids if isinstance(shop_ids, QuerySet) else list(shop_ids),
            voucher__valid_from__lte=now,
            voucher__valid_until__gt=now,
        )
        .order_by("voucher__shop_id", "-voucher__discount")
    )


#: The claims usable now for the shops of the user's cart (:func:`voucher_claim_list_usable`),
#: compiled once per process (``core.queries``).
_CART_CLAIMS = CompiledQuery(
    lambda user_id, now: voucher_claim_list_usable(
        user=user_id, shop_ids=CartItem.objects.filter(cart__user_id=user_id).values("product__shop_id"), now=now
    ),
    prepare="jishi_cart_claims",
    user_id=(-7_300_111, -7_300_112),
    now=_NOW_SENTINELS,
)


def voucher_claim_list_usable_for_cart(*, user, now: datetime | None = None) -> list[VoucherClaim]:
    """:func:`voucher_claim_list_usable` for the shops of ``user``'s cart (the cart page's
    prompts), in one query compiled once per process."""
    return _CART_CLAIMS.run(user_id=user.pk, now=now or timezone.now())


def voucher_claim_list_for_user(*, user, usable: bool | None = None, now: datetime | None = None):
    """The user's voucher claims, newest first, with voucher and shop. ``usable=True``: only those
    a checkout can take now (unused, valid now); ``False``: only the others. A claim's ``id`` is
    what ``checkout``'s ``vouchers`` list takes."""
    now = now or timezone.now()
    claims = VoucherClaim.objects.select_related("voucher__shop").filter(user=user)
    usable_q = Q(used_at__isnull=True, voucher__valid_from__lte=now, voucher__valid_until__gt=now)
    if usable is True:
        claims = claims.filter(usable_q)
    elif usable is False:
        claims = claims.exclude(usable_q)
    return claims.order_by("-claimed_at", "-id")


@dataclass
class ShopVoucherOptions:
    """A buyer's claimed vouchers for one shop of the cart, against that shop's subtotal."""

    #: Vouchers the subtotal reaches, the biggest saving first (the first is the one to preselect).
    usable: list[VoucherClaim] = field(default_factory=list)
    #: ``(claim, how much more to spend)`` for vouchers the subtotal does not reach yet, nearest first.
    almost: list[tuple[VoucherClaim, Decimal]] = field(default_factory=list)

    @property
    def best(self) -> VoucherClaim | None:
        return self.usable[0] if self.usable else None

    @property
    def nearest(self) -> tuple[VoucherClaim, Decimal] | None:
        """The voucher a little more spending would unlock: the smallest shortfall among those
        that save more than the best usable one (none when spending more would gain nothing)."""
        floor = self.best.voucher.discount if self.best else Decimal("0.00")
        return next(((claim, more) for claim, more in self.almost if claim.voucher.discount > floor), None)


def voucher_options_for_cart(*, cart: CartView, claims) -> dict[int, ShopVoucherOptions]:
    """Sort the buyer's usable claims (:func:`voucher_claim_list_usable`) per shop of ``cart``
    into those its subtotal reaches (best saving first) and those it almost reaches (smallest
    shortfall first): the checkout's voucher picker and the cart's "spend ¥X more" prompt. No
    query of its own."""
    subtotals = {group.shop.pk: group.subtotal for group in cart.shops}
    options: dict[int, ShopVoucherOptions] = {}
    for claim in claims:
        voucher = claim.voucher
        if voucher.shop_id not in subtotals:
            continue
        option = options.setdefault(voucher.shop_id, ShopVoucherOptions())
        shortfall = voucher.min_spend - subtotals[voucher.shop_id]
        if shortfall <= 0:
            option.usable.append(claim)
        else:
            option.almost.append((claim, shortfall))
    for option in options.values():
        option.usable.sort(key=lambda c: (-c.voucher.discount, c.voucher.min_spend, c.pk))
        option.almost.sort(key=lambda pair: (pair[1], -pair[0].voucher.discount, pair[0].pk))
    return options


# --- purchases -----------------------------------------------------------------------------------


def order_list_purchased() -> QuerySet[Order]:
    """Orders that are purchases: paid, shipped, delivered or completed."""
    return Order.objects.filter(status__in=PURCHASED_STATUSES)


def order_line_list_purchased(*, buyer_id=None, product_id=None) -> QuerySet[OrderLine]:
    """Lines of purchased orders (:func:`order_list_purchased`), of ``buyer_id`` and/or
    ``product_id`` when given — either may be an ``OuterRef`` (e.g. ``Exists(...)`` for "this
    author bought this product", the verified-buyer badge)."""
    lines = OrderLine.objects.filter(order__status__in=PURCHASED_STATUSES)
    if buyer_id is not None:
        lines = lines.filter(order__buyer_id=buyer_id)
    if product_id is not None:
        lines = lines.filter(product_id=product_id)
    return lines


def order_get_purchased_with_lines(*, order_id: int) -> Order | None:
    """A purchased order with its lines and their products loaded (two queries), or None."""
    return (
        order_list_purchased()
        .prefetch_related(Prefetch("lines", queryset=OrderLine.objects.select_related("product").order_by("pk")))
        .filter(pk=order_id)
        .first()
    )


# --- orders ----------------------------------------------------------------------------------------


def _with_lines(queryset: QuerySet[Order]) -> QuerySet[Order]:
    return queryset.select_related("shop", "buyer", "voucher_claim__voucher").prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.select_related("review").order_by("id")),
        Prefetch("refund_requests", queryset=RefundRequest.objects.order_by("-created_at", "-id")),
    )


def order_list_for_buyer(*, user) -> QuerySet[Order]:
    """The user's orders as a buyer, newest first, with shop and lines."""
    return _with_lines(Order.objects.filter(buyer=user)).order_by("-created_at", "-id")


def order_list_for_seller(*, user, status: str | None = None) -> QuerySet[Order]:
    """Orders placed with the user's shop, newest first (optionally of one status)."""
    orders = Order.objects.filter(shop__owner=user)
    if status:
        orders = orders.filter(status=status)
    return _with_lines(orders).order_by("-created_at", "-id")


def order_list_for_checkout(*, checkout) -> QuerySet[Order]:
    """The orders one recorded checkout (a ``CheckoutRequest``) placed, in the order it placed
    them, with shop and lines (by id)."""
    return (
        Order.objects.filter(checkout=checkout)
        .select_related("shop")
        .prefetch_related(Prefetch("lines", queryset=OrderLine.objects.order_by("id")))
        .order_by("id")
    )


def order_list_for_payment(*, user, order_ids) -> QuerySet[Order]:
    """The user's own orders among ``order_ids`` (a checkout's orders, for the payment page), by
    id, with shop and lines; anyone else's ids are left out."""
    return _with_lines(Order.objects.filter(buyer=user, pk__in=list(order_ids))).order_by("id")


def order_get_for_user(*, user, order_id: int) -> Order:
    """An order its buyer or its seller may see; 404 for anyone else (staff included: orders
    are read in admin by those with the permission)."""
    orders = Order.objects.filter(Q(buyer=user) | Q(shop__owner=user))
    order = _with_lines(orders).filter(pk=order_id).first()
    if order is None:
        raise ApplicationError(_("Order not found."), status=404, code=OrderErrorCode.NOT_FOUND)
    return order


def order_line_get_reviewable(*, user, line_id: int) -> OrderLine:
    """One of the user's order lines that can be reviewed now (delivered or completed, not yet
    reviewed), else an error saying why."""
    line = OrderLine.objects.select_related("order", "product", "review").filter(pk=line_id).first()
    if line is None or line.order.buyer_id != user.pk:
        raise ApplicationError(_("You can only review things you bought."), status=403, code=ReviewErrorCode.NOT_BUYER)
    if line.order.status not in REVIEWABLE_STATUSES:
        raise ApplicationError(
            _("You can review this once the order is delivered."), status=409, code=ReviewErrorCode.NOT_DELIVERED
        )
    if hasattr(line, "review"):
        raise ApplicationError(
            _("You already reviewed this purchase."), status=409, code=ReviewErrorCode.ALREADY_REVIEWED
        )
    return line


def review_list_public() -> QuerySet[Review]:
    """Reviews anyone may see: visible, of a public product (no annotations)."""
    return Review.objects.filter(product_public_q("product__"), visibility=Visibility.VISIBLE)


def review_list_for_product(*, product_id: int) -> QuerySet[Review]:
    """Visible reviews of a product, newest first, with author and images."""
    return (
        Review.objects.filter(product_id=product_id, visibility=Visibility.VISIBLE)
        .select_related("author")
        .prefetch_related("images")
        .order_by("-created_at", "-id")
    )


def review_list_for_author(*, user) -> QuerySet[Review]:
    """The user's own reviews in any visibility, newest first, with product and images."""
    return (
        Review.objects.filter(author=user)
        .select_related("author", "product")
        .prefetch_related("images")
        .order_by("-created_at", "-id")
    )


def review_get_for_author(*, user, review_id: int) -> Review:
    """One of the user's own reviews, for editing; 404 if there is no such review, 403 if it is
    someone else's."""
    review = Review.objects.select_related("author", "product").filter(pk=review_id).first()
    if review is None:
        raise ApplicationError(_("No such review."), status=404, code=ReviewErrorCode.NOT_FOUND)
    if review.author_id != user.pk:
        raise ApplicationError(
            _("Only the author can change this review."), status=403, code=ReviewErrorCode.NOT_AUTHOR
        )
    return review


def review_get(*, review_id: int) -> Review | None:
    """One review (any visibility) with its product, or None."""
    return Review.objects.select_related("product").filter(pk=review_id).first()
