"""Checkout: the cart becomes orders, at most once per Idempotency-Key.

Checkout (:func:`checkout_submit` → :func:`cart_checkout` → :func:`order_place`) turns the cart into
one order per shop in one transaction. Every scarce thing is taken with a conditional UPDATE whose
WHERE clause is the invariant, so no interleaving can oversell:

* product stock: ``stock = stock - q WHERE stock >= q``;
* a deal's flash cap: ``flash_sold = flash_sold + q WHERE flash_quantity IS NULL OR flash_sold + q
  <= flash_quantity`` (``flash_sold`` counts every unit sold at the deal price);
* the per-buyer limit: one upsert of the buyer's ``DealPurchase`` row, ``INSERT ... ON CONFLICT
  DO UPDATE SET quantity = quantity + q WHERE quantity + q <= per_buyer_limit``;
* a voucher claim: ``used_at = now WHERE used_at IS NULL``.

Rows are always taken in one global order, so concurrent checkouts, cancellations and expiries
cannot deadlock: first the buyer's own rows (cart, Idempotency-Key record, per-buyer purchase rows
by deal id, voucher claims), then the shared *hot* rows — deals by id, then products by id. The
hot rows come last in the checkout transaction, after the order and its lines are inserted, so
each is locked only from its UPDATE to the commit: during a flash sale every buyer queues on the
same deal and product rows, and that queue moves only as fast as the lock is released. Refusals
that can be seen on the rows just read (sold out, too few left) are raised before anything is
written; the conditional UPDATEs remain the guard. Foreign keys are checked at commit
(PostgreSQL: ``DEFERRABLE INITIALLY DEFERRED``), so inserting the lines first takes no lock on the
hot rows.

What happens to an order afterwards (payment, cancellation, expiry, shipping) is in
:mod:`marketplace.services.orders`, whose release of a closed order follows the same lock order.
"""

import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from core.cache import bump_on_commit
from core.errors import ApplicationError
from core.queries import (
    Batch,
    CompiledQuery,
    Queued,
    execute_prepared,
    insert_row_with_rows,
    insert_rows,
    refuse_without_row,
)
from marketplace.caching import TAG_STOCK, buyer_checkout_tag, cart_tag, product_tag
from marketplace.errors import CheckoutErrorCode
from marketplace.models import (
    Cart,
    CartItem,
    CheckoutRequest,
    Deal,
    DealPurchase,
    Order,
    OrderLine,
    Product,
    VoucherClaim,
)
from marketplace.selectors.addresses import address_get_for_user, address_snapshot_default
from marketplace.selectors.catalogue import product_is_public
from marketplace.selectors.orders import (
    QuantityLimit,
    order_list_for_checkout,
    product_units_limit,
    units_left_message,
)
from marketplace.selectors.pricing import (
    _best_live_deal,
    live_deal_values,
    product_annotate_prices,
    product_live_deal_once,
)
from marketplace.services.addresses import address_not_found
from marketplace.services.admission import Admission, flash_admission, limit_reached_error, not_enough_error
from marketplace.services.cart import line_quantity_validate
from marketplace.services.orders import order_announce_on_commit
from marketplace.signals import order_placed


def _not_enough(product: Product, limit: QuantityLimit) -> ApplicationError:
    """409 ``sold_out`` / ``quantity_unavailable`` naming the product and how many are left."""
    return not_enough_error(product_id=product.pk, limit=limit)


def _sold_out(product: Product, left: int, *, in_sale: bool) -> ApplicationError:
    """:func:`_not_enough` from a counter read after a conditional UPDATE refused."""
    return _not_enough(
        product, QuantityLimit(left, units_left_message(title=product.title, left=left, in_sale=in_sale))
    )


#: One statement for the per-buyer limit: insert the buyer's row for the deal, or add to it only
#: while the sum stays within the limit (PostgreSQL and SQLite both take ``ON CONFLICT ... DO
#: UPDATE ... WHERE``). No row back means the limit refused it.
_TAKE_BUYER_UNITS = f"""
INSERT INTO {DealPurchase._meta.db_table} (deal_id, buyer_id, quantity) VALUES (%s, %s, %s)
ON CONFLICT (deal_id, buyer_id) DO UPDATE SET quantity = {DealPurchase._meta.db_table}.quantity + excluded.quantity
WHERE {DealPurchase._meta.db_table}.quantity + excluded.quantity <= %s
RETURNING quantity
"""
#: The same for a batch that commits (``Batch.refusing``): refuses by failing.
_TAKE_BUYER_UNITS_OR_REFUSE = refuse_without_row(_TAKE_BUYER_UNITS)
#: "No limit" in the statements above.
_NO_LIMIT = 2**31 - 1


#: What a queued statement's result is made of (:meth:`core.queries.Batch.add`).
def _one_row(cursor) -> tuple | None:
    return cursor.fetchone()


def _row_count(cursor) -> int:
    return cursor.rowcount


#: A check of a queued statement's result: raises the refusal, if any (reading the result sends
#: the statement, see :class:`core.queries.Batch`).
Check = Callable[[], None]


def _passed() -> None:
    """The check of a statement queued with ``Batch.refusing``: it refuses by failing."""


def _take_buyer_units(
    *, deal: Deal, product: Product, buyer, quantity: int, batch: Batch, commits: bool = False
) -> Check:
    """Count ``quantity`` units against the buyer's limit for the deal (queued in ``batch``);
    the check raises if the limit refused them. ``commits``: ``batch`` ends with the COMMIT
    (``Batch.commit``), so the statement refuses by failing."""
    limit = _NO_LIMIT if deal.per_buyer_limit is None else deal.per_buyer_limit

    def refusal() -> ApplicationError:
        bought = DealPurchase.objects.filter(deal=deal, buyer=buyer).values_list("quantity", flat=True).first()
        return limit_reached_error(
            product_id=product.pk, title=product.title, limit=deal.per_buyer_limit, bought=bought or 0
        )

    params = [deal.pk, buyer.pk, quantity, limit]
    if quantity <= limit and commits:
        batch.refusing(_TAKE_BUYER_UNITS_OR_REFUSE, params, refusal, name="buyer_units_or_refuse")
        return _passed
    taken = batch.add(_TAKE_BUYER_UNITS, params, _one_row, name="buyer_units") if quantity <= limit else None

    def check() -> None:
        if taken is None or taken.value() is None:
            raise refusal()

    return check


#: The flash cap and the stock, each one conditional UPDATE whose WHERE clause is the invariant
#: (written as SQL, as the per-buyer upsert above: on the hottest rows of a sale, building them
#: through the ORM cost more Python than PostgreSQL spent running them). No row: refused.
_TAKE_FLASH_UNITS = f"""
UPDATE {Deal._meta.db_table} SET flash_sold = flash_sold + %s
WHERE id = %s AND (flash_quantity IS NULL OR flash_sold <= flash_quantity - %s)
"""
_TAKE_STOCK = f"UPDATE {Product._meta.db_table} SET stock = stock - %s WHERE id = %s AND stock >= %s"
#: The same for a batch that commits (``Batch.refusing``): refuse by failing.
_TAKE_FLASH_UNITS_OR_REFUSE = refuse_without_row(f"{_TAKE_FLASH_UNITS} RETURNING 1")
_TAKE_STOCK_OR_REFUSE = refuse_without_row(f"{_TAKE_STOCK} RETURNING 1")


#: A deal's flash units and then a product's stock in one statement (PostgreSQL): one round trip
#: fewer, and the deal row, the hottest of a sale, locked for one round trip less. The stock's
#: UPDATE reads the flash one's result, so it takes its row only after the deal's is taken: the
#: global lock order (deals, then products) holds. Answers how many rows each took (0 or 1).
_TAKE_FLASH_THEN_STOCK = f"""
WITH flash AS ({_TAKE_FLASH_UNITS} RETURNING 1), stock AS ({_TAKE_STOCK} AND EXISTS (SELECT FROM flash) RETURNING 1)
SELECT (SELECT count(*) FROM flash), (SELECT count(*) FROM stock)
"""
#: The same for a batch that commits: refuses by failing, naming the flash cap or the stock.
_TAKE_FLASH_THEN_STOCK_OR_REFUSE = f"""
WITH flash AS ({_TAKE_FLASH_UNITS} RETURNING 1), stock AS ({_TAKE_STOCK} AND EXISTS (SELECT FROM flash) RETURNING 1)
SELECT CASE WHEN NOT EXISTS (SELECT FROM flash) THEN jishi_refuse(%s)
            WHEN NOT EXISTS (SELECT FROM stock) THEN jishi_refuse(%s) END
"""


def _take_flash_units(
    *,
    deal: Deal,
    product: Product,
    quantity: int,
    batch: Batch,
    commits: bool = False,
    then_stock: tuple[Product, int] | None = None,
) -> Check:
    """Count ``quantity`` units against the deal's flash cap (queued in ``batch``; locks the deal
    row); the check raises if it refused them (``commits``: see :func:`_take_buyer_units`).
    ``then_stock``: ``(product, quantity)`` whose stock is taken right after (:func:`_take_stock`),
    in the same statement on PostgreSQL."""
    flash_params = [quantity, deal.pk, quantity]

    def flash_refusal() -> ApplicationError:
        row = Deal.objects.values("flash_quantity", "flash_sold").get(pk=deal.pk)
        return _sold_out(product, row["flash_quantity"] - row["flash_sold"], in_sale=True)

    stock_check = None
    if then_stock is not None and connection.vendor == "postgresql":
        stocked, units = then_stock
        params = [*flash_params, units, stocked.pk, units]
        if commits:
            refusals = (flash_refusal, partial(_stock_refusal, stocked))
            batch.refusing(_TAKE_FLASH_THEN_STOCK_OR_REFUSE, params, *refusals, name="flash_then_stock_or_refuse")
            return _passed
        both = batch.add(_TAKE_FLASH_THEN_STOCK, params, _one_row, name="flash_then_stock")
    elif commits:
        batch.refusing(_TAKE_FLASH_UNITS_OR_REFUSE, flash_params, flash_refusal, name="flash_units_or_refuse")
        if then_stock is not None:
            _take_stock(product=then_stock[0], quantity=then_stock[1], batch=batch, commits=commits)
        return _passed
    else:
        both = None
        flash = batch.add(_TAKE_FLASH_UNITS, flash_params, _row_count, name="flash_units")
        if then_stock is not None:
            stock_check = _take_stock(product=then_stock[0], quantity=then_stock[1], batch=batch, commits=commits)

    def check() -> None:
        flash_taken, stock_taken = both.value() if both is not None else (flash.value(), True)
        if not flash_taken:
            raise flash_refusal()
        if not stock_taken:
            raise _stock_refusal(then_stock[0])
        if stock_check is not None:
            stock_check()

    return check


def _take_stock(*, product: Product, quantity: int, batch: Batch, commits: bool = False) -> Check:
    """Take ``quantity`` units of stock (queued in ``batch``; locks the product row); the check
    raises if refused (``commits``: see :func:`_take_buyer_units`)."""
    params = [quantity, product.pk, quantity]
    if commits:
        refusal = partial(_stock_refusal, product)
        batch.refusing(_TAKE_STOCK_OR_REFUSE, params, refusal, name="stock_or_refuse")
        return _passed
    taken = batch.add(_TAKE_STOCK, params, _row_count, name="stock")

    def check() -> None:
        if not taken.value():
            raise _stock_refusal(product)

    return check


def _stock_refusal(product: Product) -> ApplicationError:
    left = Product.objects.values_list("stock", flat=True).get(pk=product.pk)
    return _sold_out(product, left, in_sale=False)


#: What checkout reads of a product and its shop (not the description, search columns, ...: a
#: fifth of the columns, and the cost of the read's rows fell with them).
_PRICED_FIELDS = ("title", "price", "stock", "status", "visibility", "shop__visibility", "shop__owner", "shop__name")


def _priced_products_queryset(*, product_ids: Sequence[int], buyer, now: datetime) -> QuerySet:
    """The products being bought, with their shops, priced for ``buyer`` at ``now`` and the live
    deal's per-buyer limit (no separate read of the deals): read them through :func:`_priced`,
    which gives each the annotations of ``product_annotate_prices``. On PostgreSQL the live deal
    is read once per product (``pricing.product_live_deal_once``, its per-buyer limit apart: two
    subqueries instead of eight; PostgreSQL's CPU for the read ~350 -> ~170 us)."""
    products = Product.objects.select_related("shop").only(*_PRICED_FIELDS).filter(pk__in=product_ids)
    if connection.vendor == "postgresql":
        # the deal of product_live_deal_once (pricing.py's private definition of it, not a copy)
        limit = _best_live_deal(now=now, buyer=buyer).values("per_buyer_limit")[:1]
        live = product_live_deal_once(now=now, buyer=buyer)
        return products.annotate(live=live, deal_per_buyer_limit=Subquery(limit))
    annotated = product_annotate_prices(products, now=now, buyer=buyer)
    limits = Deal.objects.filter(pk=OuterRef("deal_id")).values("per_buyer_limit")[:1]
    return annotated.annotate(deal_per_buyer_limit=Subquery(limits))


def _priced(product: Product) -> Product:
    """A product of :func:`_priced_products_queryset`, with ``product_annotate_prices``'s
    annotations (from its ``live`` deal when that was read once)."""
    if "live" in product.__dict__:
        values = live_deal_values(price=product.price, stock=product.stock, live=product.live)
        product.deal_id, product.effective_price, product.flash_left, product.units_left, product.sold_out = values
    return product


#: :func:`_priced_products_queryset` compiled once per process and number of products (building
#: and compiling the pricing subqueries cost more Python than the rest of a checkout's reads),
#: prepared once per connection (PostgreSQL spent ~4x longer planning it than running it).
_PRICED_PRODUCTS: dict[int, CompiledQuery] = {}
#: Carts of more products than this build their query each time (the same answer).
PRICED_COMPILED_MAX = 8


def _priced_products(*, product_ids: Sequence[int], buyer, now: datetime, batch: Batch) -> Queued:
    """The read of :func:`_priced_products_queryset`, queued in ``batch`` (its value: the list)."""
    size = len(product_ids)
    if not 0 < size <= PRICED_COMPILED_MAX or getattr(buyer, "pk", None) is None:
        return batch.call(lambda: list(_priced_products_queryset(product_ids=product_ids, buyer=buyer, now=now)))
    if size not in _PRICED_PRODUCTS:
        user_model = get_user_model()

        def build(*, now: datetime, buyer_id: int, **ids: int) -> QuerySet:
            ordered = [ids[f"p{i}"] for i in range(size)]
            return _priced_products_queryset(product_ids=ordered, buyer=user_model(pk=buyer_id), now=now)

        _PRICED_PRODUCTS[size] = CompiledQuery(
            build,
            prepare=f"jishi_checkout_products_{size}",
            now=(datetime(1901, 1, 1, 0, 0, 7, tzinfo=UTC), datetime(1902, 2, 2, 0, 0, 9, tzinfo=UTC)),
            buyer_id=(-7_400_001, -7_400_002),
            **{f"p{i}": (-7_500_000 - i, -7_600_000 - i) for i in range(size)},
        )
    ids = {f"p{i}": product_id for i, product_id in enumerate(product_ids)}
    return _PRICED_PRODUCTS[size].queue(batch, now=now, buyer_id=buyer.pk, **ids)


def _claims_by_shop(*, buyer, claim_ids: Sequence[int], subtotals: dict[int, Decimal], now: datetime) -> dict:
    """Validate the buyer's chosen voucher claims: theirs, unused, valid now, one per shop in
    the cart, whose order subtotal reaches the minimum spend. Returns ``{shop_id: claim}``."""
    claims = list(VoucherClaim.objects.select_related("voucher__shop").filter(pk__in=claim_ids, user=buyer))
    if len(claims) != len(set(claim_ids)):
        raise ApplicationError(_("That voucher is not one of yours."), code=CheckoutErrorCode.INVALID_VOUCHER)
    by_shop = {}
    for claim in claims:
        voucher = claim.voucher
        if claim.used_at is not None:
            raise ApplicationError(
                _("Voucher “%(voucher)s” was already used.") % {"voucher": voucher},
                status=409,
                code=CheckoutErrorCode.VOUCHER_USED,
            )
        if not voucher.valid_from <= now < voucher.valid_until:
            raise ApplicationError(
                _("Voucher “%(voucher)s” is not valid now.") % {"voucher": voucher},
                code=CheckoutErrorCode.VOUCHER_NOT_VALID,
            )
        if voucher.shop_id not in subtotals:
            raise ApplicationError(
                _("Voucher “%(voucher)s” is for %(shop)s, which has nothing in your cart.")
                % {"voucher": voucher, "shop": voucher.shop},
                code=CheckoutErrorCode.VOUCHER_WRONG_SHOP,
            )
        if voucher.shop_id in by_shop:
            raise ApplicationError(
                _("Only one voucher per shop (%(shop)s).") % {"shop": voucher.shop},
                code=CheckoutErrorCode.VOUCHER_ONE_PER_SHOP,
            )
        subtotal = subtotals[voucher.shop_id]
        if subtotal < voucher.min_spend:
            raise ApplicationError(
                _(
                    "Voucher “%(voucher)s” needs a spend of at least %(min_spend)s at %(shop)s "
                    "(your items there come to %(subtotal)s)."
                )
                % {"voucher": voucher, "min_spend": voucher.min_spend, "shop": voucher.shop, "subtotal": subtotal},
                code=CheckoutErrorCode.VOUCHER_MIN_SPEND,
            )
        by_shop[voucher.shop_id] = claim
    return by_shop


_USE_CLAIM = f"UPDATE {VoucherClaim._meta.db_table} SET used_at = %s WHERE id = %s AND used_at IS NULL"
_USE_CLAIM_OR_REFUSE = refuse_without_row(f"{_USE_CLAIM} RETURNING 1")


def _use_claim(*, claim: VoucherClaim, now: datetime, batch: Batch, commits: bool = False) -> Check:
    """Mark the claim used (queued in ``batch``); the check raises if it already was
    (``commits``: see :func:`_take_buyer_units`)."""
    used_at = VoucherClaim._meta.get_field("used_at").get_db_prep_save(now, batch.connection)

    def refusal() -> ApplicationError:
        return ApplicationError(
            _("Voucher “%(voucher)s” was already used.") % {"voucher": claim.voucher},
            status=409,
            code=CheckoutErrorCode.VOUCHER_USED,
        )

    if commits:
        batch.refusing(_USE_CLAIM_OR_REFUSE, [used_at, claim.pk], refusal, name="use_claim_or_refuse")
        return _passed
    used = batch.add(_USE_CLAIM, [used_at, claim.pk], _row_count, name="use_claim")

    def check() -> None:
        if not used.value():
            raise refusal()

    return check


@transaction.atomic
def order_place(
    *,
    buyer,
    items: Sequence[tuple[int, int]],
    voucher_claim_ids: Sequence[int] = (),
    checkout: CheckoutRequest | None = None,
    shipping_address: dict | None = None,
    now: datetime | None = None,
) -> list[Order]:
    """Place one order per shop for ``items`` (``(product_id, quantity)`` pairs) at the effective
    prices of ``now``, taking stock, flash units, per-buyer units and vouchers; each order keeps
    ``shipping_address`` (an ``Address.snapshot()``). All or nothing: any refusal raises
    ``ApplicationError`` (409 ``sold_out`` naming the product, ...) and nothing is written."""
    return _order_place(
        buyer=buyer,
        items=items,
        voucher_claim_ids=voucher_claim_ids,
        checkout=checkout,
        shipping_address=shipping_address,
        now=now or timezone.now(),
    )


def _order_place(
    *,
    buyer,
    items: Sequence[tuple[int, int]],
    voucher_claim_ids: Sequence[int],
    checkout: CheckoutRequest | None,
    now: datetime,
    shipping_address: dict | None = None,
    priced: tuple[list[int], Queued] | None = None,
) -> list[Order]:
    """:func:`order_place` without its own savepoint: call inside a transaction that is rolled
    back (to a savepoint at least) when this raises. ``priced``: the priced products' read
    (:func:`_priced_products`) already queued for these product ids at ``now``; used when the
    ids are the items' (else they are read).

    The writes are queued in one :class:`core.queries.Batch` (one round trip on PostgreSQL:
    the buyer's units, the voucher claims, the orders and lines, the hot rows, in the global
    lock order) and their results checked in that order: the first refusal raises. On
    PostgreSQL the statements after a refused one ran too, and are rolled back with it."""
    quantities: dict[int, int] = defaultdict(int)
    for product_id, quantity in items:
        line_quantity_validate(quantity)
        quantities[product_id] += quantity
    if not quantities:
        raise ApplicationError(_("Your cart is empty."), code=CheckoutErrorCode.CART_EMPTY)
    for quantity in quantities.values():
        line_quantity_validate(quantity)

    # 1. Read and validate; nothing is locked yet.
    product_ids = sorted(quantities)
    if priced is None or priced[0] != product_ids:
        priced = (product_ids, _priced_products(product_ids=product_ids, buyer=buyer, now=now, batch=Batch()))
    products = {p.pk: _priced(p) for p in priced[1].value()}
    for product_id in sorted(quantities):
        product = products.get(product_id)
        if product is None or not product_is_public(product):
            message = (
                _("“%(title)s” is no longer available.") % {"title": product.title}
                if product
                else _("A product in your cart is no longer available.")
            )
            raise ApplicationError(
                message, status=409, code=CheckoutErrorCode.UNAVAILABLE, extra={"product": product_id}
            )
        if product.shop.owner_id == buyer.pk:
            raise ApplicationError(_("You cannot buy from your own shop."), status=403, code=CheckoutErrorCode.OWN_SHOP)

    by_shop: dict[int, list[Product]] = defaultdict(list)
    for product_id in sorted(quantities):
        by_shop[products[product_id].shop_id].append(products[product_id])
    subtotals = {
        shop_id: sum((p.effective_price * quantities[p.pk] for p in lines), Decimal("0.00"))
        for shop_id, lines in by_shop.items()
    }
    claims = (
        _claims_by_shop(buyer=buyer, claim_ids=voucher_claim_ids, subtotals=subtotals, now=now)
        if voucher_claim_ids
        else {}
    )
    in_deals = sorted((p for p in products.values() if p.deal_id), key=lambda p: p.deal_id)
    deals = {p.deal_id: Deal(pk=p.deal_id, per_buyer_limit=p.deal_per_buyer_limit) for p in in_deals}

    # 2. Refuse at once what the rows just read already show as gone (the sold-out rule of the
    #    pages and the cart: units_left); the conditional UPDATEs below stay the guard. Then the
    #    buyer's own rows (no one else queues on them).
    for product_id in sorted(quantities):
        left = product_units_limit(product=products[product_id])
        if quantities[product_id] > left.allowed:
            raise _not_enough(products[product_id], left)
    batch = Batch()
    # In the outermost atomic block (PostgreSQL) the COMMIT goes with the last statements, which
    # then refuse by failing (core.queries.Batch.commit): the hot rows are unlocked a round trip
    # sooner.
    commits = batch.can_commit()
    checks = [
        _take_buyer_units(
            deal=deals[product.deal_id],
            product=product,
            buyer=buyer,
            quantity=quantities[product.pk],
            batch=batch,
            commits=commits,
        )
        for product in in_deals
    ]
    checks += [
        _use_claim(claim=claim, now=now, batch=batch, commits=commits) for _shop_id, claim in sorted(claims.items())
    ]
    discounts = {shop_id: claim.voucher.discount for shop_id, claim in claims.items()}

    # 3. The orders and their lines.
    expires_at = now + timedelta(minutes=settings.ORDER_PAYMENT_TIMEOUT_MINUTES)
    orders = [
        Order(
            buyer=buyer,
            shop=by_shop[shop_id][0].shop,
            checkout=checkout,
            voucher_claim=claims.get(shop_id),
            currency=settings.CURRENCY,
            subtotal=subtotals[shop_id],
            discount=discounts.get(shop_id, Decimal("0.00")),
            total=subtotals[shop_id] - discounts.get(shop_id, Decimal("0.00")),
            shipping_address=shipping_address,
            expires_at=expires_at,
        )
        for shop_id in sorted(by_shop)
    ]

    def lines_of(order: Order) -> list[OrderLine]:
        return [
            OrderLine(
                order=order,
                product=p,
                deal_id=p.deal_id,
                title=p.title,
                unit_price=p.effective_price,
                list_price=p.price,
                quantity=quantities[p.pk],
            )
            for p in by_shop[order.shop_id]
        ]

    # bulk_create's INSERTs without its build (~1 ms of CPU for these two); one shop's order in
    # one statement with its lines
    if len(orders) == 1:
        placed = lines_of(orders[0])
        insert_row_with_rows(orders[0], placed, link="order", batch=batch)
    else:
        inserted = insert_rows(orders, batch=batch)
        for check in checks:  # the lines need the orders' ids: what is queued goes now
            check()
        checks = []
        inserted.value()
        placed = [line for order in orders for line in lines_of(order)]
        insert_rows(placed, batch=batch)

    # 4. The hot rows, last: deals by id, then products by id; each stays locked until commit.
    #    The last deal goes in one statement with the first product.
    stocks = [(products[product_id], quantities[product_id]) for product_id in sorted(quantities)]
    for i, product in enumerate(in_deals):
        then_stock = stocks.pop(0) if i == len(in_deals) - 1 else None
        checks.append(
            _take_flash_units(
                deal=deals[product.deal_id],
                product=product,
                quantity=quantities[product.pk],
                then_stock=then_stock,
                batch=batch,
                commits=commits,
            )
        )
    checks += [
        _take_stock(product=product, quantity=quantity, batch=batch, commits=commits) for product, quantity in stocks
    ]
    if commits:
        batch.commit()
    for check in checks:
        check()
    batch.send()  # nothing is left unsent (SQLite: the inserts of a one-shop order; the COMMIT)

    # The buyer's cart page too: the cart emptied, vouchers used, units of deals bought. Bumped on
    # commit with the first order's announcement (one round trip with its receivers' marks).
    tags = (TAG_STOCK, cart_tag(buyer.pk), *(product_tag(product_id) for product_id in quantities))
    for order in orders:
        order.lines_placed = [line for line in placed if line.order_id == order.pk]
        order_announce_on_commit(order_placed, order=order, lines=order.lines_placed, bump=tags)
        tags = ()
    return orders


def _shipping_address(*, buyer, address_id: int | None, default: Callable[[], dict | None] | None) -> dict:
    """The snapshot of the delivery address a checkout ships to: ``address_id`` from the buyer's
    address book, else their default address (``default()``: its read, queued); refused when
    there is none."""
    if address_id is not None:
        address = address_get_for_user(user=buyer, address_id=address_id)
        if address is None:
            raise address_not_found()
        return address.snapshot()
    snapshot = default()
    if snapshot is None:
        raise ApplicationError(
            _("Add a delivery address before placing the order."), code=CheckoutErrorCode.ADDRESS_REQUIRED
        )
    return snapshot


def _cart_take_sql() -> str:
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    return (
        f"DELETE FROM {CartItem._meta.db_table} WHERE cart_id = "
        f"(SELECT id FROM {Cart._meta.db_table} WHERE user_id = %s{lock}) RETURNING product_id, quantity"
    )


def _sorted_rows(cursor) -> list[tuple]:
    return sorted(cursor.fetchall())


@dataclass(frozen=True)
class _CartReads:
    """A checkout's first statements, queued in one :class:`core.queries.Batch` (one round trip
    on PostgreSQL, with the Idempotency-Key's record queued before them): the buyer's cart row
    locked and emptied (``items``: its ``(product_id, quantity)`` items), the default address
    (``address()``: its snapshot; None when an address was chosen) and, when the cart was read
    before (outside the transaction), the priced products of that cart (``priced``: their ids
    and the read; :func:`_order_place` takes it when the cart emptied holds the same products)."""

    items: Queued
    address: Callable[[], dict | None] | None
    priced: tuple[list[int], Queued] | None
    now: datetime


def _cart_reads(*, buyer, address_id: int | None, batch: Batch, cart_items: list | None = None) -> _CartReads:
    """Queue the checkout's first statements (:class:`_CartReads`): call inside the checkout's
    transaction (its rollback puts the cart back)."""
    now = timezone.now()
    items = batch.add(_cart_take_sql(), [buyer.pk], _sorted_rows, name="cart_take")
    address = address_snapshot_default(user=buyer, batch=batch) if address_id is None else None
    priced = None
    if cart_items:
        product_ids = sorted({product_id for product_id, _quantity in cart_items})
        priced = (product_ids, _priced_products(product_ids=product_ids, buyer=buyer, now=now, batch=batch))
    return _CartReads(items=items, address=address, priced=priced, now=now)


@transaction.atomic
def cart_checkout(
    *,
    buyer,
    voucher_claim_ids: Sequence[int] = (),
    address_id: int | None = None,
    checkout: CheckoutRequest | None = None,
    cart_items: list[tuple[int, int]] | None = None,
) -> list[Order]:
    """Place the buyer's cart (see :func:`order_place`), delivered to ``address_id`` (one of the
    buyer's addresses; default: their default address, and none at all is refused with 400
    ``address_required``), and empty it. The cart row is locked, so two checkouts of one cart run
    one after the other and the second finds it empty. ``cart_items``: the cart as read before,
    outside this transaction (its products' priced read then travels with the cart's; what is
    placed is the cart emptied here, as always)."""
    reads = _cart_reads(buyer=buyer, address_id=address_id, batch=Batch(), cart_items=cart_items)
    return _cart_checkout(
        buyer=buyer, voucher_claim_ids=voucher_claim_ids, address_id=address_id, reads=reads, checkout=checkout
    )


def _cart_checkout(
    *,
    buyer,
    voucher_claim_ids: Sequence[int],
    address_id: int | None,
    reads: _CartReads,
    checkout: CheckoutRequest | None = None,
) -> list[Order]:
    """:func:`cart_checkout` from its queued ``reads`` (:func:`_cart_reads`) and without its own
    savepoint: call inside a transaction that is rolled back when this raises."""
    # emptied first, so nothing but the commit follows the hot rows' UPDATEs (a refusal below
    # rolls it back)
    items = reads.items.value()
    shipping_address = None
    if items:  # an empty cart is refused as such by _order_place
        shipping_address = _shipping_address(buyer=buyer, address_id=address_id, default=reads.address)
    return _order_place(
        buyer=buyer,
        items=items,
        voucher_claim_ids=voucher_claim_ids,
        checkout=checkout,
        shipping_address=shipping_address,
        now=reads.now,
        priced=reads.priced,
    )


@dataclass(frozen=True)
class CheckoutResult:
    """The orders a checkout placed (one per shop, each with ``shop`` and ``lines_placed``), and
    whether this answer replays an earlier request with the same Idempotency-Key."""

    orders: list[Order]
    replayed: bool = False

    @property
    def order_ids(self) -> list[int]:
        return [order.pk for order in self.orders]


class CheckoutRefusalReplayed(ApplicationError):
    """The refusal an earlier request with the same Idempotency-Key received, raised again for
    its retry (edges say it is a replay, e.g. the API's ``Idempotent-Replayed: true``)."""


def _refusal_record(error: ApplicationError) -> dict:
    return {"code": str(error.code), "message": error.message, "status": error.status, "extra": error.extra}


def _refusal_replay(refusal: dict) -> CheckoutRefusalReplayed:
    return CheckoutRefusalReplayed(
        refusal["message"],
        code=CheckoutErrorCode(refusal["code"]),
        status=refusal["status"],
        extra=refusal["extra"],
    )


def _placed_orders(record: CheckoutRequest) -> list[Order]:
    """The orders a recorded checkout placed, as :func:`order_place` returned them."""
    orders = list(order_list_for_checkout(checkout=record))
    for order in orders:
        order.lines_placed = list(order.lines.all())
    return orders


_CART_ITEMS = (
    f"SELECT i.product_id, i.quantity FROM {CartItem._meta.db_table} i "
    f"JOIN {Cart._meta.db_table} c ON c.id = i.cart_id WHERE c.user_id = %s"
)


def _cart_items(*, buyer) -> list[tuple[int, int]]:
    """The buyer's cart, ``(product_id, quantity)`` by product (one small read, as SQL: the ORM's
    build of it cost more than the read)."""
    with connection.cursor() as cursor:
        execute_prepared(cursor, name="cart_items", sql=_CART_ITEMS, params=[buyer.pk])
        return sorted(cursor.fetchall())


#: The record of a new Idempotency-Key, or nothing when the key already has one: no error, so no
#: savepoint around it. A concurrent duplicate waits on the unique index until the first request's
#: transaction ends, then inserts nothing (and replays the first answer).
_RECORD_CREATE = f"""
INSERT INTO {CheckoutRequest._meta.db_table} (user_id, key, request_hash, refusal, answered_at, created_at)
VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (user_id, key) DO NOTHING RETURNING id
"""


def _record_create(
    *, buyer, key: str, fingerprint: str, refusal: dict | None = None, batch: Batch | None = None
) -> Callable[[], CheckoutRequest | None]:
    """Insert the key's record, with its ``refusal`` if it was refused (call in the transaction
    that answers it: ``answered_at`` is set now, since no one sees the record before that
    transaction commits with its answer), queued in ``batch`` (default: one of its own). The
    result: the record, or None when the key already has one."""
    now = timezone.now()
    batch = batch or Batch()
    stored = CheckoutRequest._meta.get_field("refusal").get_db_prep_save(refusal, batch.connection)
    params = [buyer.pk, key, fingerprint, stored, now, now]
    inserted = batch.add(_RECORD_CREATE, params, _one_row, name="checkout_record")

    def record() -> CheckoutRequest | None:
        row = inserted.value()
        if row is None:
            return None
        return CheckoutRequest(
            pk=row[0], user=buyer, key=key, request_hash=fingerprint, refusal=refusal, answered_at=now, created_at=now
        )

    return record


def _checkout_fingerprint(
    *, voucher_claim_ids: Sequence[int], items: list[tuple[int, int]], address_id: int | None = None
) -> str:
    """``request_hash`` for an Idempotency-Key: 32 hex digits of the chosen vouchers and address
    followed by 32 of the cart contents ``items`` (kept apart because a successful checkout empties
    the cart, so its own retry sees an empty cart)."""
    chosen = sorted(voucher_claim_ids) if address_id is None else [sorted(voucher_claim_ids), address_id]
    vouchers = hashlib.sha256(json.dumps(chosen).encode()).hexdigest()[:32]
    cart = hashlib.sha256(json.dumps(items).encode()).hexdigest()[:32]
    return vouchers + cart


def _checkout_replay(record: CheckoutRequest, *, fingerprint: str, cart_empty: bool) -> CheckoutResult:
    if record.answered_at is None:
        raise ApplicationError(
            _("A checkout with this Idempotency-Key is still in progress; retry in a moment."),
            status=409,
            code=CheckoutErrorCode.IDEMPOTENCY_IN_PROGRESS,
        )
    same_vouchers = record.request_hash[:32] == fingerprint[:32]
    # After a successful checkout the cart is empty: that is this request's own doing.
    same_cart = record.request_hash[32:] == fingerprint[32:] or (cart_empty and record.refusal is None)
    if not (same_vouchers and same_cart):
        raise ApplicationError(
            _(
                "This Idempotency-Key was already used for a different checkout (the cart, vouchers or "
                "address changed). Use a new key for a new request."
            ),
            status=422,
            code=CheckoutErrorCode.IDEMPOTENCY_KEY_REUSED,
        )
    if record.refusal is not None:
        raise _refusal_replay(record.refusal)
    return CheckoutResult(orders=_placed_orders(record), replayed=True)


def checkout_submit(
    *,
    buyer,
    voucher_claim_ids: Sequence[int] = (),
    address_id: int | None = None,
    idempotency_key: str | None = None,
    gated_deals: dict | None = None,
    cart_items: list[tuple[int, int]] | None = None,
    admission: Admission | None = None,
) -> CheckoutResult:
    """Check out the buyer's cart to ``address_id`` (default: the buyer's default address; see
    :func:`cart_checkout`), at most once per ``idempotency_key``: the placed orders, or
    ``ApplicationError`` (e.g. 409 ``sold_out``, 400 ``address_required``) with nothing placed.

    The first request with a key records its answer in a :class:`CheckoutRequest`, in the same
    transaction as the orders: the orders it placed (linked to the record), or its refusal. A
    retry with the same key gets that answer again and places nothing: the same orders
    (``replayed=True``, in their state now) or the same refusal (:class:`CheckoutRefusalReplayed`).
    A concurrent duplicate blocks on the unique (user, key) index until the first commits, then
    replays it. Reusing a key for a different cart, vouchers or address raises 422
    ``idempotency_key_reused``. Without a key every call is a new checkout. ``gated_deals``: the
    cart's gated flash deals as this request already read them (``flash_admit(gated=...)``);
    ``cart_items``: the buyer's cart, ``(product_id, quantity)`` by product, as this request
    already read it outside any transaction (``admission_early.EarlyAdmitted.items``), instead of
    reading it again: what the admission and the key's fingerprint are taken from (the cart
    emptied in the transaction decides what is placed, as always).
    ``admission``: the units the gate already admitted this request for (``flash_admit(admitted=
    ...)``: taken over, placed or given back, whatever the outcome).
    Only the ``buyer``'s id is read (an edge that has checked the buyer from its id alone, as the
    API's early checkout does, passes ``User(pk=...)``)."""
    voucher_claim_ids = sorted(set(voucher_claim_ids))
    if idempotency_key and len(idempotency_key) > 255:
        raise ApplicationError(
            _("Idempotency-Key is longer than 255 characters."), code=CheckoutErrorCode.INVALID_IDEMPOTENCY_KEY
        )
    items = _cart_items(buyer=buyer) if cart_items is None else cart_items
    if not idempotency_key:
        with flash_admission(buyer=buyer, items=items, gated=gated_deals, admitted=admission) as admitted:
            orders = cart_checkout(
                buyer=buyer, voucher_claim_ids=voucher_claim_ids, address_id=address_id, cart_items=items
            )
            admitted.keep()
        return CheckoutResult(orders=orders)
    fingerprint = _checkout_fingerprint(voucher_claim_ids=voucher_claim_ids, items=items, address_id=address_id)
    # A hot flash deal that cannot serve this cart refuses here, before any transaction
    # (services/admission.py); admitted units go back unless orders are placed. The key's record
    # is not looked up first: a key with a record is found by the record's INSERT (replayed
    # below, its admitted units given back), or, refused by the gate, looked up then.
    try:
        gate = flash_admission(buyer=buyer, items=items, gated=gated_deals, admitted=admission)
    except ApplicationError:
        record = CheckoutRequest.objects.filter(user=buyer, key=idempotency_key).first()
        if record is None:
            raise
        return _checkout_replay(record, fingerprint=fingerprint, cart_empty=not items)
    with gate as admission:
        # The record and the orders in one transaction, without a savepoint: a refusal rolls all
        # of it back, then the refusal is recorded in a transaction of its own — unless a
        # concurrent duplicate (waiting on our record's unique index until the rollback) recorded
        # its answer first: then that answer is this request's too (replayed below). The record
        # travels with the cart's reads (one round trip on PostgreSQL; the record first, as the
        # lock order wants).
        try:
            with transaction.atomic():
                batch = Batch()
                created = _record_create(buyer=buyer, key=idempotency_key, fingerprint=fingerprint, batch=batch)
                reads = _cart_reads(buyer=buyer, address_id=address_id, batch=batch, cart_items=items)
                record = created()
                if record is not None:  # else the key has a record (maybe a concurrent duplicate's)
                    orders = _cart_checkout(
                        buyer=buyer,
                        voucher_claim_ids=voucher_claim_ids,
                        address_id=address_id,
                        reads=reads,
                        checkout=record,
                    )
                    admission.keep()
                    return CheckoutResult(orders=orders)
                transaction.set_rollback(True)  # the cart emptied with it (PostgreSQL) goes back
        except ApplicationError as error:
            with transaction.atomic():
                recorded = _record_create(
                    buyer=buyer, key=idempotency_key, fingerprint=fingerprint, refusal=_refusal_record(error)
                )()
                if recorded is not None:
                    # a recorded refusal is replayed, never answered early (admission_early)
                    bump_on_commit(buyer_checkout_tag(buyer.pk))
            if recorded is not None:
                raise  # after the record of the refusal committed
    record = CheckoutRequest.objects.get(user=buyer, key=idempotency_key)
    return _checkout_replay(record, fingerprint=fingerprint, cart_empty=not items)


def checkout_requests_prune(*, now: datetime | None = None, keep_hours: int | None = None) -> int:
    """Delete ``Idempotency-Key`` records older than ``keep_hours`` (Stripe keeps keys for 24 h):
    a retry after that is a new checkout. Orders keep existing (their ``checkout`` link is set
    null). Returns how many records were deleted. Idempotent."""
    now = now or timezone.now()
    keep = timedelta(hours=keep_hours or settings.IDEMPOTENCY_KEY_HOURS)
    deleted, _details = CheckoutRequest.objects.filter(created_at__lt=now - keep).delete()
    return deleted
