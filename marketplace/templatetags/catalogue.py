"""Template helpers for catalogue pages: money, media URLs, the home-page section."""

from decimal import Decimal

from django import template
from django.conf import settings
from django.core.files.storage import default_storage
from django.template.loader import get_template, render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from core.cache import cached
from marketplace.caching import TAG_ALL, TAG_LISTS
from marketplace.selectors.catalogue import product_filter, product_list_public, product_next_price_change

register = template.Library()

SYMBOLS = {"CNY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "HKD": "HK$", "TWD": "NT$"}


@register.filter
def money(value) -> str:
    """``Decimal("128.5")`` → ``¥128.50`` (symbol of settings.CURRENCY)."""
    if value is None or value == "":
        return ""
    amount = Decimal(value).quantize(Decimal("0.01"))
    symbol = SYMBOLS.get(settings.CURRENCY)
    return f"{symbol}{amount:,}" if symbol else f"{amount:,} {settings.CURRENCY}"


@register.filter
def media_url(name) -> str:
    """The public URL of a stored file name (annotations give names, not FieldFiles)."""
    return default_storage.url(str(name)) if name else ""


@register.simple_tag
def catalogue_home_section() -> str:
    """Newest and best-selling products for the home page, from the versioned cache."""

    def build():
        now = timezone.now()
        public = product_list_public(now=now)
        html = render_to_string(
            "marketplace/_home_section.html",
            {
                "newest": list(product_filter(public, ordering="newest")[:8]),
                "best_selling": list(product_filter(public, ordering="best_selling")[:8]),
            },
        )
        boundary = product_next_price_change(now=now)
        return html, boundary.timestamp() if boundary else None

    return cached(f"cat:page:home:{get_language()}", tags=(TAG_ALL, TAG_LISTS), build=build)


@register.simple_tag(takes_context=True)
def page_extensions(context, slot: str) -> str:
    """Render the templates that upper apps contribute to ``slot`` of a marketplace page.

    ``settings.MARKETPLACE_PAGE_EXTENSIONS`` (wired in config) names them, so marketplace
    templates never name another app (the layering of docs/architecture.md). Each template is
    rendered with the page's context."""
    names = settings.MARKETPLACE_PAGE_EXTENSIONS.get(slot, ())
    flat = context.flatten()
    return mark_safe("".join(get_template(name).render(flat) for name in names))
