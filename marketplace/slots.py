"""What marketplace renders into page slots (core/slots.py), registered in
``MarketplaceConfig.ready()``: the home page's sections (the live sale's flash deals, sales,
products), and per-request parts of its own cached shop and product pages — the voucher box
(whether you claimed a voucher is yours) and "more from this shop" (other products than the
product page's cache tag covers). Both are the same for every anonymous visitor, so the pristine
anonymous page cache renders them in once with their tags (core/slots.py, ``anonymous=``).
(The slots marketplace's own pages offer to upper apps are listed in docs/architecture.md,
"Page slots".)"""

from functools import cache

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language

from core import slots
from core.cache import NOW_PLACEHOLDER, cached
from core.pages import CSRF_PLACEHOLDER, csrf_token
from marketplace.caching import TAG_ALL, TAG_LISTS, TAG_STOCK, shop_products_tag, shop_vouchers_tag
from marketplace.models import SaleStatus
from marketplace.selectors.catalogue import product_filter, product_list_public, product_next_price_change
from marketplace.selectors.sales import sale_list, sale_showcase, voucher_ids_claimed, voucher_list_claimable_for_shop

#: Live and upcoming sales shown on the home page.
HOME_SALES = 3
#: Products in each of the home page's "newest" and "best-selling" rows.
HOME_PRODUCTS = 8
#: Deals in the home page's lead section (the live sale's flash deals).
HOME_FLASH_DEALS = 4
#: A cached home section with a countdown is rebuilt at least this often (seconds), so its text
#: for browsers without JavaScript ("Ends in 5 hours, 3 minutes") is at most this old.
HOME_COUNTDOWN_MAX_AGE = 60
#: Other products of the shop under a product page.
MORE_FROM_SHOP = 4


def _home_section_expires(now, html: str) -> float | None:
    """When a cached home section built at ``now`` may be wrong by the clock: the next sale
    start or end (a sale opening, closing, a price changing), and, when it shows a countdown,
    within :data:`HOME_COUNTDOWN_MAX_AGE` (its text without JavaScript reads "5 hours, 3 minutes")."""
    instants = [now.timestamp() + HOME_COUNTDOWN_MAX_AGE] if html else []
    boundary = product_next_price_change(now=now)
    if boundary:
        instants.append(boundary.timestamp())
    return min(instants, default=None)


def home_flash_deals_build(**_values) -> tuple[str, float | None]:
    """``home.sections``, first: the live sale's flash deals with their progress and the sale's
    countdown, then its biggest discounts up to :data:`HOME_FLASH_DEALS` cards, and when that may
    be wrong by the clock (four queries: the sale, its deals, their images, the next boundary).
    Rendered into the home page's cached shell (``core/pages.py``) with its tags
    (:func:`home_flash_deals_tags`): ``all`` (sales and deals edited or moderated), ``lists``
    (products edited) and ``stock`` (every checkout and release moves the counters); until the
    next sale start or end. The countdown's server clock is not in it: the page fills it per
    response (``core.cache.clock_fill``)."""
    now = timezone.now()
    html = ""
    sale = sale_list(now=now, status=SaleStatus.LIVE).first()
    if sale is not None:
        showcase = sale_showcase(sales=[sale], now=now, per_sale=HOME_FLASH_DEALS)[sale.id]
        deals = [*showcase["flash"], *showcase["featured"]][:HOME_FLASH_DEALS]
        if deals:
            context = {
                "sale": sale,
                "deals": deals,
                "flash": bool(showcase["flash"]),
                "status": SaleStatus.LIVE,
                "target_ms": int(sale.ends_at.timestamp() * 1000),
                "now_ms": NOW_PLACEHOLDER,
            }
            html = render_to_string("marketplace/home_flash_deals.html", context)
    return html, _home_section_expires(now, html)


def home_flash_deals_tags(**_values) -> tuple[str, ...]:
    return (TAG_ALL, TAG_LISTS, TAG_STOCK)


def home_sales_build(**_values) -> tuple[str, float | None]:
    """``home.sections``: live and upcoming sales with their countdowns (two queries), into the
    home page's shell with its tags (:func:`home_sales_tags`: ``all``, bumped when a sale is saved
    or a deal moderated, and ``lists``) until the next sale start or end. The countdown's server
    clock is filled per response, as for :func:`home_flash_deals_build`."""
    now = timezone.now()
    sales = list(sale_list(now=now).exclude(ends_at__lte=now)[:HOME_SALES])
    html = ""
    if sales:
        rows = [
            {
                "sale": sale,
                "is_live": sale.current_status == SaleStatus.LIVE,
                "target_ms": int(
                    (sale.ends_at if sale.current_status == SaleStatus.LIVE else sale.starts_at).timestamp() * 1000
                ),
            }
            for sale in sales
        ]
        html = render_to_string("marketplace/sale_home_section.html", {"rows": rows, "now_ms": NOW_PLACEHOLDER})
    return html, _home_section_expires(now, html)


def home_sales_tags(**_values) -> tuple[str, ...]:
    return (TAG_ALL, TAG_LISTS)


def home_catalogue_build(**_values) -> tuple[str, float | None]:
    """``home.sections``: newest and best-selling products, into the home page's shell with its
    tags (:func:`home_catalogue_tags`: ``all`` + ``lists``) until the next sale boundary."""
    now = timezone.now()
    public = product_list_public(now=now)
    html = render_to_string(
        "marketplace/_home_section.html",
        {
            "newest": list(product_filter(public, ordering="newest")[:HOME_PRODUCTS]),
            "best_selling": list(product_filter(public, ordering="best_selling")[:HOME_PRODUCTS]),
        },
    )
    boundary = product_next_price_change(now=now)
    return html, boundary.timestamp() if boundary else None


def home_catalogue_tags(**_values) -> tuple[str, ...]:
    return (TAG_ALL, TAG_LISTS)


@cache
def _login_url() -> str:
    return reverse("login")


def shop_voucher_box(*, request, shop_id, **_values) -> str:
    """``product.beside_buy_box`` and ``shop.sections`` (per request): the shop's claimable
    vouchers with a claim button — "Claimed" for those the visitor has. A signed-in visitor's box
    is a versioned entry of their own per shop (tag: the shop's vouchers, bumped by offers, ends
    and every claim — so also by theirs), with the page's path and the CSRF token put in per
    request: one cache round trip, no query, no template. Anonymous visitors get
    :func:`shop_voucher_box_anonymous`."""
    signed_in = settings.SESSION_COOKIE_NAME in request.COOKIES and request.user.is_authenticated
    if not signed_in:
        return shop_voucher_box_anonymous(shop_id=shop_id)[0]
    user = request.user

    def build():
        vouchers = voucher_list_claimable_for_shop(shop_id=shop_id)
        if not vouchers:
            return "", _vouchers_expire(vouchers)
        claimed = voucher_ids_claimed(user=user, voucher_ids=[v["id"] for v in vouchers])
        context = {
            "vouchers": [{**v, "claimed_by_me": v["id"] in claimed} for v in vouchers],
            "signed_in": True,
            "is_owner": user.pk == vouchers[0]["owner_id"],
            "next": slots.NEXT_PLACEHOLDER,
            "csrf_token": CSRF_PLACEHOLDER,
            "shop_slug": vouchers[0]["shop_slug"],
        }
        return render_to_string("marketplace/_voucher_box.html", context), _vouchers_expire(vouchers)

    html = cached(_voucher_box_key(shop_id, user.pk), tags=shop_voucher_box_tags(shop_id=shop_id), build=build)
    return html.replace(CSRF_PLACEHOLDER, csrf_token(request)) if html else ""


def _voucher_box_key(shop_id, user_id) -> str:
    return f"mkt:vbox:{shop_id}:{user_id}:{get_language()}"


def shop_voucher_box_ahead(*, user_id, shop_id, **_values) -> dict[str, tuple[str, ...]]:
    """The signed-in visitor's voucher box entry, read ahead with their user by a cached page."""
    if user_id is None:
        return {}
    return {_voucher_box_key(shop_id, user_id): shop_voucher_box_tags(shop_id=shop_id)}


def _vouchers_expire(vouchers) -> float | None:
    """When the first of ``vouchers`` starts or ends (a box showing them changes then)."""
    now = timezone.now()
    boundaries = [v["valid_until"] for v in vouchers] + [v["valid_from"] for v in vouchers if v["valid_from"] > now]
    return min(boundaries).timestamp() if boundaries else None


def shop_voucher_box_anonymous(*, shop_id, **_values) -> tuple[str, float | None]:
    """The voucher box for every visitor without a session ("log in to claim"; the page's path
    is the placeholder the slot middleware fills), until the first of the vouchers starts or
    ends. Rendered once into the anonymous page cache, with :func:`shop_voucher_box_tags`."""
    vouchers = voucher_list_claimable_for_shop(shop_id=shop_id)
    if not vouchers:
        return "", None
    context = {
        "vouchers": [{**v, "claimed_by_me": False} for v in vouchers],
        "signed_in": False,
        "is_owner": False,
        "login_url": f"{_login_url()}?next={slots.NEXT_PLACEHOLDER}",
        "next": slots.NEXT_PLACEHOLDER,
        "shop_slug": vouchers[0]["shop_slug"],
    }
    return render_to_string("marketplace/_voucher_box.html", context), _vouchers_expire(vouchers)


def shop_voucher_box_tags(*, shop_id, **_values) -> list[str]:
    return [shop_vouchers_tag(shop_id)]


def product_more_from_shop(*, request, product_id: int, shop_id: int, **_values) -> str:
    """``product.more_from_shop`` (per request): the shop's best-selling other products.

    Per request, because the product page is cached under its own product's tag while these cards
    show *other* products. The same for everyone (:func:`product_more_from_shop_anonymous`): a
    pristine anonymous product page has it rendered in, with its tags (``all`` + ``lists``)."""
    return product_more_from_shop_anonymous(product_id=product_id, shop_id=shop_id)[0]


def product_more_from_shop_anonymous(*, product_id: int, shop_id: int, **_values) -> tuple[str, float | None]:
    """The cards come from one cached entry per shop and language (tags ``all`` and the shop's
    products tag, bumped by every write to one of them; until the next sale boundary): one cache
    round trip and no query."""

    def build():
        now = timezone.now()
        products = list(
            product_filter(product_list_public(now=now).filter(shop_id=shop_id), ordering="best_selling")[
                : MORE_FROM_SHOP + 1
            ]
        )
        cards = [
            (p.pk, render_to_string("marketplace/_product_card.html", {"p": p, "prefix": "more"})) for p in products
        ]
        shop = products[0].shop if products else None
        boundary = product_next_price_change(now=now)
        expires_at = boundary.timestamp() if boundary else None
        value = {"cards": cards, "shop_name": "", "shop_url": "", "expires_at": expires_at}
        if shop is not None:
            value.update(shop_name=shop.name, shop_url=shop.get_absolute_url())
        return value, expires_at

    tags = product_more_from_shop_tags(shop_id=shop_id)
    value = cached(f"cat:frag:shop-more:{shop_id}:{get_language()}", tags=tags, build=build)
    cards = [html for pk, html in value["cards"] if pk != product_id][:MORE_FROM_SHOP]
    if not cards:
        return "", value.get("expires_at")
    html = render_to_string(
        "marketplace/_more_from_shop.html",
        {"cards": cards, "shop_name": value["shop_name"], "shop_url": value["shop_url"]},
    )
    return html, value.get("expires_at")


def product_more_from_shop_tags(*, shop_id: int, **_values) -> tuple[str, ...]:
    return (TAG_ALL, shop_products_tag(shop_id))


def register() -> None:
    for order, build, tags in (
        (0, home_flash_deals_build, home_flash_deals_tags),
        (10, home_sales_build, home_sales_tags),
        (20, home_catalogue_build, home_catalogue_tags),
    ):
        slots.register_everyone("home.sections", build, order=order, tags=tags)
    slots.register(
        "product.beside_buy_box",
        shop_voucher_box,
        order=10,
        per_request=True,
        anonymous=shop_voucher_box_anonymous,
        tags=shop_voucher_box_tags,
        ahead=shop_voucher_box_ahead,
    )
    slots.register(
        "shop.sections",
        shop_voucher_box,
        order=5,
        per_request=True,
        anonymous=shop_voucher_box_anonymous,
        tags=shop_voucher_box_tags,
        ahead=shop_voucher_box_ahead,
    )
    slots.register(
        "product.more_from_shop",
        product_more_from_shop,
        order=10,
        per_request=True,
        anonymous=product_more_from_shop_anonymous,
        tags=product_more_from_shop_tags,
        everyone=True,
    )
