"""Template helpers for catalogue pages: money and media URLs."""

from django import template
from django.conf import settings
from django.core.files.storage import default_storage

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
