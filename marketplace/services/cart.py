"""Cart writes. A signed-in user's cart is a :class:`Cart` row with items; an anonymous visitor's
cart lives in the session as ``{"<product id>": quantity}`` and merges into the user's cart at
login (:func:`cart_merge_session`).

Quantities are checked against stock and the live deal (flash units left, per-buyer limit) so the
buyer hears about a problem early, with a clear message. These checks are advisory: checkout
(``marketplace.services.checkout``) takes stock and caps with conditional updates and is the guard.
"""

from collections.abc import MutableMapping

from django.db import transaction
from django.utils.translation import gettext as _

from core.cache import bump_on_commit
from core.errors import ApplicationError
from marketplace.caching import cart_tag
from marketplace.errors import CheckoutErrorCode
from marketplace.models import Cart, CartItem, Deal, DealPurchase, Product
from marketplace.selectors.orders import MAX_LINE_QUANTITY, line_quantity_limit_message, product_quantity_limit
from marketplace.selectors.pricing import product_annotate_prices

SESSION_KEY = "cart"


def line_quantity_validate(quantity: int) -> None:
    """Refuse (400 ``invalid_quantity``) a line quantity below 1 or above
    :data:`~marketplace.selectors.orders.MAX_LINE_QUANTITY` — the one quantity rule of the cart,
    checkout, forms and API."""
    if quantity < 1:
        raise ApplicationError(_("Quantity must be at least 1."), code=CheckoutErrorCode.INVALID_QUANTITY)
    if quantity > MAX_LINE_QUANTITY:
        raise ApplicationError(
            line_quantity_limit_message(),
            code=CheckoutErrorCode.INVALID_QUANTITY,
            extra={"limit": MAX_LINE_QUANTITY},
        )


def cart_check_quantity(*, product_id: int, quantity: int, user=None) -> Product:
    """Raise ``ApplicationError`` unless ``quantity`` units of the product may go in ``user``'s
    cart (``user`` None: an anonymous visitor). Returns the price-annotated product."""
    line_quantity_validate(quantity)
    product = product_annotate_prices(Product.objects.select_related("shop"), buyer=user).filter(pk=product_id).first()
    if product is None:
        raise ApplicationError(_("That product does not exist."), status=404, code=CheckoutErrorCode.NOT_FOUND)
    if user is not None and product.shop.owner_id == user.pk:
        raise ApplicationError(_("You cannot buy from your own shop."), status=403, code=CheckoutErrorCode.OWN_SHOP)
    deal = Deal.objects.filter(pk=product.deal_id).first() if product.deal_id else None
    bought = 0
    if deal is not None and user is not None:
        bought = DealPurchase.objects.filter(deal=deal, buyer=user).values_list("quantity", flat=True).first() or 0
    limit = product_quantity_limit(product=product, deal=deal, bought=bought)
    if quantity > limit.allowed:
        code = CheckoutErrorCode.SOLD_OUT if limit.allowed == 0 else CheckoutErrorCode.QUANTITY_UNAVAILABLE
        raise ApplicationError(limit.reason, status=409, code=code, extra={"product": product.pk})
    return product


def _locked_cart(user) -> Cart:
    """The user's cart row, locked: every write to a signed-in cart starts here, so its cached
    page (``marketplace.caching.cart_tag``) is dropped here too (also at once: the rest of the
    request reads the new cart)."""
    bump_on_commit(cart_tag(user.pk), now=True)
    cart, _created = Cart.objects.get_or_create(user=user)
    return Cart.objects.select_for_update().get(pk=cart.pk)


@transaction.atomic
def cart_item_add(*, user, product_id: int, quantity: int = 1) -> CartItem:
    """Add ``quantity`` units to the user's cart (on top of what is there)."""
    line_quantity_validate(quantity)
    cart = _locked_cart(user)
    item = CartItem.objects.filter(cart=cart, product_id=product_id).first()
    total = quantity + (item.quantity if item else 0)
    cart_check_quantity(product_id=product_id, quantity=total, user=user)
    if item is None:
        return CartItem.objects.create(cart=cart, product_id=product_id, quantity=total)
    item.quantity = total
    item.save(update_fields=["quantity"])
    cart.save(update_fields=["updated_at"])
    return item


@transaction.atomic
def cart_item_set_quantity(*, user, product_id: int, quantity: int) -> CartItem | None:
    """Set a line's quantity; 0 removes the line (returns None)."""
    cart = _locked_cart(user)
    item = CartItem.objects.filter(cart=cart, product_id=product_id).first()
    if item is None:
        raise ApplicationError(_("That product is not in your cart."), status=404, code=CheckoutErrorCode.NOT_IN_CART)
    if quantity == 0:
        item.delete()
        return None
    cart_check_quantity(product_id=product_id, quantity=quantity, user=user)
    item.quantity = quantity
    item.save(update_fields=["quantity"])
    return item


@transaction.atomic
def cart_item_remove(*, user, product_id: int) -> None:
    cart = _locked_cart(user)
    deleted, _details = CartItem.objects.filter(cart=cart, product_id=product_id).delete()
    if not deleted:
        raise ApplicationError(_("That product is not in your cart."), status=404, code=CheckoutErrorCode.NOT_IN_CART)


def session_cart_items(session: MutableMapping) -> dict[int, int]:
    """The anonymous cart in ``session`` as ``{product_id: quantity}``."""
    return {int(pid): int(qty) for pid, qty in session.get(SESSION_KEY, {}).items()}


def _session_cart_save(session: MutableMapping, items: dict[int, int]) -> None:
    session[SESSION_KEY] = {str(pid): qty for pid, qty in items.items()}


def session_cart_item_add(*, session: MutableMapping, product_id: int, quantity: int = 1) -> None:
    line_quantity_validate(quantity)
    items = session_cart_items(session)
    total = items.get(product_id, 0) + quantity
    cart_check_quantity(product_id=product_id, quantity=total)
    items[product_id] = total
    _session_cart_save(session, items)


def session_cart_item_set_quantity(*, session: MutableMapping, product_id: int, quantity: int) -> None:
    items = session_cart_items(session)
    if product_id not in items:
        raise ApplicationError(_("That product is not in your cart."), status=404, code=CheckoutErrorCode.NOT_IN_CART)
    if quantity == 0:
        del items[product_id]
    else:
        cart_check_quantity(product_id=product_id, quantity=quantity)
        items[product_id] = quantity
    _session_cart_save(session, items)


def session_cart_item_remove(*, session: MutableMapping, product_id: int) -> None:
    session_cart_item_set_quantity(session=session, product_id=product_id, quantity=0)


@transaction.atomic
def cart_merge_session(*, user, session: MutableMapping) -> list[str]:
    """Move the anonymous cart in ``session`` into ``user``'s cart (called at login). Quantities
    add up and are trimmed to what the user may buy; lines that cannot be bought are dropped.
    Returns a message per adjusted line. The session cart is emptied."""
    items = session_cart_items(session)
    if not items:
        return []
    cart = _locked_cart(user)
    existing = {i.product_id: i for i in CartItem.objects.filter(cart=cart, product_id__in=items)}
    priced = product_annotate_prices(Product.objects.select_related("shop"), buyer=user)
    products = {p.pk: p for p in priced.filter(pk__in=items)}
    deals = {d.pk: d for d in Deal.objects.filter(pk__in=[p.deal_id for p in products.values() if p.deal_id])}
    bought = dict(DealPurchase.objects.filter(buyer=user, deal__in=deals.values()).values_list("deal_id", "quantity"))
    notes = []
    for product_id, quantity in items.items():
        product = products.get(product_id)
        if product is None:
            continue
        if product.shop.owner_id == user.pk:
            notes.append(
                _("“%(title)s” is from your own shop, so it was left out of your cart.") % {"title": product.title}
            )
            continue
        item = existing.get(product_id)
        wanted = quantity + (item.quantity if item else 0)
        deal = deals.get(product.deal_id)
        limit = product_quantity_limit(product=product, deal=deal, bought=bought.get(product.deal_id, 0))
        final = min(wanted, limit.allowed)
        if final < wanted:
            notes.append(limit.reason)
        if final == 0:
            if item:
                item.delete()
        elif item:
            item.quantity = final
            item.save(update_fields=["quantity"])
        else:
            CartItem.objects.create(cart=cart, product_id=product_id, quantity=final)
    session.pop(SESSION_KEY, None)
    return notes
