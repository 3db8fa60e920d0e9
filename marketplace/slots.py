"""What marketplace renders into pages it does not own (core/slots.py), registered in
``MarketplaceConfig.ready()``: the home page's sale and catalogue sections. (The slots marketplace's
own pages offer to upper apps are listed in docs/architecture.md, "Page slots".)"""

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language

from core import slots
from core.cache import cached
from marketplace.caching import TAG_ALL, TAG_LISTS
from marketplace.models import SaleStatus
from marketplace.selectors.catalogue import product_filter, product_list_public, product_next_price_change
from marketplace.selectors.sales import sale_list

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


def register() -> None:
    slots.register("home.sections", home_sales, order=10)
    slots.register("home.sections", home_catalogue, order=20)
