"""Template helpers for sales: the home page's "sales now and next" section."""

from django import template
from django.template.loader import render_to_string
from django.utils import timezone

from marketplace.models import SaleStatus
from marketplace.selectors.sales import sale_list

register = template.Library()

HOME_SALES = 3


@register.simple_tag
def sale_home_section() -> str:
    """Live and upcoming sales with their countdowns (one query; not cached, the countdown needs
    the server's clock of this request)."""
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
