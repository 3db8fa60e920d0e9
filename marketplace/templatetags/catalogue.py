"""Template helpers for catalogue and cart pages: money, media URLs, the most units of a cart line."""

from django import template
from django.conf import settings
from django.core.files.storage import default_storage

from marketplace.selectors.orders import MAX_LINE_QUANTITY
from marketplace.selectors.pricing import money_quantize

register = template.Library()

SYMBOLS = {"CNY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "HKD": "HK$", "TWD": "NT$"}


@register.filter
def money(value) -> str:
    """``Decimal("128.5")`` → ``¥128.50`` (symbol of settings.CURRENCY)."""
    if value is None or value == "":
        return ""
    amount = money_quantize(value)
    symbol = SYMBOLS.get(settings.CURRENCY)
    return f"{symbol}{amount:,}" if symbol else f"{amount:,} {settings.CURRENCY}"


@register.filter
def media_url(name) -> str:
    """The public URL of a stored file name (annotations give names, not FieldFiles)."""
    return default_storage.url(str(name)) if name else ""


@register.simple_tag
def max_line_quantity() -> int:
    """The most units of one product in a cart line, for quantity inputs' ``max``."""
    return MAX_LINE_QUANTITY
