"""The catalogue's cache tags (the machinery is ``core/cache.py``: ``cached``, ``bump_on_commit``).

Every catalogue entry depends on :data:`TAG_ALL`; lists also on :data:`TAG_LISTS`; a product's
page on :func:`product_tag`. Writers bump them through ``services.catalogue``'s
``*_cache_bump`` functions (docs/marketplace-catalogue.md lists when).
"""

#: Every catalogue entry depends on this tag: bumping it drops everything (sale times edited,
#: deals approved or changed, categories edited).
TAG_ALL = "cat:v:all"
#: Lists (product list, search, category, shop and home sections): bumped by any product write.
TAG_LISTS = "cat:v:lists"

#: Stock and flash counters as the home page's flash deals show them: bumped by every checkout
#: and every release of units (cancel, expiry, refund) with the products' own tags.
TAG_STOCK = "cat:v:stock"


def product_tag(product_id: int) -> str:
    return f"cat:v:p:{product_id}"


def shop_products_tag(shop_id: int) -> str:
    """What any of a shop's products shows on a card (bumped with :data:`TAG_LISTS` by every write
    to one of them, ``services.catalogue.product_cache_bump``): "more from this shop" on its
    product pages depends on it instead of on every list, so a product write elsewhere does not
    re-render this shop's cached anonymous product pages."""
    return f"cat:v:shop-products:{shop_id}"


def cart_tag(user_id: int) -> str:
    """A signed-in buyer's cart page (cached per buyer: ``marketplace.views.orders.cart``), beside
    the tags of the products and shops it shows: bumped by every write to their cart
    (``services.cart``), every order they place (vouchers used, units of a deal bought, the cart
    emptied: ``services.checkout``) or get released (vouchers given back: ``services.orders``),
    and their claims on live-room deals (a room price for them: ``services.live_deals``)."""
    return f"mkt:v:cart:{user_id}"


def shop_vouchers_tag(shop_id: int) -> str:
    """A shop's claimable vouchers (the voucher box on its shop and product pages): bumped when
    the shop offers, ends or gives out a voucher (``services.sales``)."""
    return f"mkt:v:vouchers:{shop_id}"


#: Room-only (``live``) deals: bumped when one is created or ended (``services.live_deals``). A
#: product with a running room deal is not gated by the flash gate, so the sale-day early
#: answers of ``services.admission_early`` depend on it.
TAG_LIVE_DEALS = "mkt:v:live-deals"


def buyer_checkout_tag(user_id: int) -> str:
    """What a buyer's checkout starts from: their cart, their Idempotency-Key records, their
    person row and API tokens. Bumped by every cart write (``services.cart``, checkout emptying
    it), every checkout record (``services.checkout``) and every save or delete of the person or
    of one of their tokens (``marketplace/receivers.py``): the sale-day early answers of
    ``services.admission_early`` depend on it."""
    return f"mkt:v:checkout:{user_id}"
