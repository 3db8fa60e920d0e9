"""What marketplace renders into page slots (core/slots.py), registered in
``MarketplaceConfig.ready()``: the home page's sale and catalogue sections, and the voucher box of
its own (cached) shop and product pages — a per-request part, since whether you claimed a voucher
is yours. (The slots marketplace's own pages offer to upper apps are listed in
docs/architecture.md, "Page slots".)"""

from functools import cache
from urllib.parse import quote

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language

from core import slots
from core.cache import cached
from marketplace.caching import TAG_ALL, TAG_LISTS
from marketplace.models import SaleStatus
from marketplace.selectors.catalogue import product_filter, product_list_public, product_next_price_change
from marketplace.selectors.sales import sale_list, voucher_ids_claimed, voucher_list_claimable_for_shop

#: Live and upcoming sales shown on the home page.
HOME_SALES = 3
#: Products in each of the home page's "newest" and "best-selling" rows.
HOME_PRODUCTS = 8


def home_sales(**_values) -> str:
    """``home.sections``: live and upcoming sales with their countdowns (one query; not cached,
    the countdown needs the server's clock of this request — the home page is not cached)."""
    now = timezone.now()
    sales = list(sale_list(now=now).exclude(ends_at__lte=now)[:HOME_SALES])
    if not sales:
        return ""
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
    return render_to_string("marketplace/sale_home_section.html", {"rows": rows, "now_ms": int(now.timestamp() * 1000)})


def home_catalogue(**_values) -> str:
    """``home.sections``: newest and best-selling products, from the versioned cache (tags
    ``all`` + ``lists``, until the next sale boundary)."""

    def build():
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

    return cached(f"cat:page:home:{get_language()}", tags=(TAG_ALL, TAG_LISTS), build=build)


@cache
def _login_url() -> str:
    return reverse("login")


def shop_voucher_box(*, request, shop_id, **_values) -> str:
    """``product.beside_buy_box`` and ``shop.sections`` (per request): the shop's claimable
    vouchers with a claim button — "Claimed" for those the visitor has. The vouchers come from
    the versioned cache (tag bumped by offers, ends and claims: one Redis round trip, no query);
    a signed-in visitor costs one indexed query for their claims; none to show renders nothing."""
    vouchers = voucher_list_claimable_for_shop(shop_id=shop_id)
    if not vouchers:
        return ""
    next_url = request.get_full_path()
    signed_in = settings.SESSION_COOKIE_NAME in request.COOKIES and request.user.is_authenticated
    claimed = voucher_ids_claimed(user=request.user, voucher_ids=[v["id"] for v in vouchers]) if signed_in else set()
    context = {
        "vouchers": [{**v, "claimed_by_me": v["id"] in claimed} for v in vouchers],
        "signed_in": signed_in,
        "is_owner": signed_in and request.user.pk == vouchers[0]["owner_id"],
        "login_url": f"{_login_url()}?next={quote(next_url)}",
        "next": next_url,
        "shop_slug": vouchers[0]["shop_slug"],
    }
    return render_to_string("marketplace/_voucher_box.html", context, request=request)


def register() -> None:
    slots.register("product.beside_buy_box", shop_voucher_box, order=10, per_request=True)
    slots.register("shop.sections", shop_voucher_box, order=5, per_request=True)
    slots.register("home.sections", home_sales, order=10)
    slots.register("home.sections", home_catalogue, order=20)
