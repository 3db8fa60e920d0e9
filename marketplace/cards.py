"""A product card's HTML (``marketplace/_product_card.html``) from a per-process *frame*.

Rendering the card template cost ~0.4 ms of CPU per card (fourteen lookups, filters, a URL, the
translated badges): a search page whose cards are not cached yet (a new query over products
nobody asked for in the last minutes: most pages of the wrk search row) renders a few of them.
The template stays the one definition of a card: it is rendered once per process, language and
*variant* — which of its conditions hold (a cover, its 320 px size, a deal, a discount, sold out,
sales, the plural form of "N sold") — for a stand-in product whose values are marks, and each
card is that frame with the product's values put in, each made as the template makes it (the
same filters, escaped the same way). A test compares frames with rendering byte for byte for
every variant in both languages. A card whose "N sold" form no mark number can stand for (a
language whose singular differs from its plural) is rendered in full.
"""

import html
import re
from dataclasses import dataclass
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString
from django.utils.translation import get_language, ngettext

from core.plurals import PluralForms
from marketplace.templatetags.catalogue import media_url, money

TEMPLATE = "marketplace/_product_card.html"
#: The template's "N sold" (``blocktranslate count``): its msgids, to pick the plural form.
_SOLD = ("%(counter)s sold", "%(counter)s sold")
#: Values that stand for a product's in a frame; no mark's text contains another's.
_ID_MARK = 990_017_231
_SALES_MARKS = (880_013_627, 880_013_621, 880_013_622, 880_013_625, 880_013_611)
_TITLE_MARK = "__JISHI_CARD_TITLE__"
_SHOP_MARK = "__JISHI_CARD_SHOP__"
_COVER_MARK = "__JISHI_CARD_COVER__"
_PRICE_MARK = Decimal("770017231.01")
_WAS_MARK = Decimal("870017239.03")  # above the price: a discount
#: Frames kept per process (language × variant: a few dozen at most).
FRAMES_MAX = 256
_frames: dict[tuple, list[str]] = {}


@dataclass
class _Shop:
    name: str


@dataclass
class _Marked:
    """Stands for a product in a frame: the attributes the card template reads."""

    id: int
    title: str
    cover: str
    cover_320: str
    effective_price: Decimal
    price: Decimal
    deal_id: int | None
    sold_out: bool
    sales_count: int
    shop: _Shop


def _text(value) -> str:
    """A value as ``{{ value }}`` puts it in the HTML (autoescaped): Django's ``escape`` is
    ``html.escape`` of the text; safe HTML is left as it is (``conditional_escape``)."""
    if type(value) is str:
        return html.escape(value)
    return str(conditional_escape(value))


def _money(value) -> str:
    """``{{ value|money }}``."""
    return _text(money(value))


def _marks() -> dict[str, str]:
    """Each mark as the template writes it -> the name of the value that replaces it."""
    marks = {
        str(_ID_MARK): "id",
        _text(_TITLE_MARK): "title",
        _text(_SHOP_MARK): "shop",
        _text(money(_PRICE_MARK)): "price",
        _text(money(_WAS_MARK)): "was",
        _text(media_url(_COVER_MARK)): "cover",
    }
    marks.update({str(n): "sales" for n in _SALES_MARKS})
    return marks


def product_card_html(p) -> SafeString:
    """The card of product ``p`` (annotated as ``selectors.catalogue.product_list_public``
    annotates it): what ``render_to_string(TEMPLATE, {"p": p})`` returns, safe HTML as it is
    (a template puts it in unescaped)."""
    return _card(p, p.shop.name, get_language())


def card_row_html(row) -> SafeString:
    """:func:`product_card_html` of a card read as a row (``selectors.catalogue.CardRow``: the
    same values, the shop's name as ``shop_name``), without a model instance."""
    return _card(row, row.shop_name, get_language())


def card_rows_html(rows) -> list[SafeString]:
    """:func:`card_row_html` of each of ``rows`` (the language looked up once)."""
    language = get_language()
    return [_card(row, row.shop_name, language) for row in rows]


#: "N sold" per language and number, as the template's ``blocktranslate count`` words it.
_sold = PluralForms(*_SOLD)


def _card(p, shop_name: str, language: str) -> SafeString:
    sales = p.sales_count
    deal = p.deal_id
    discounted = bool(deal and p.effective_price < p.price)
    variant = (language, bool(p.cover), bool(p.cover_320), bool(deal), discounted, bool(p.sold_out))
    variant += (_sold(language, sales) if sales else "",)
    parts = _frames.get(variant)
    if parts is None:
        parts = _frame(variant)
        if parts is None:
            return render_to_string(TEMPLATE, {"p": p if hasattr(p, "shop") else _product_of(p)})
        if len(_frames) < FRAMES_MAX:
            _frames[variant] = parts
    values = {"id": str(p.id), "title": _text(p.title), "shop": _text(shop_name), "price": _money(p.effective_price)}
    if discounted:
        values["was"] = _money(p.price)
    if p.cover:
        values["cover"] = _text(media_url(p.cover_320 or p.cover))
    if sales:
        values["sales"] = str(sales)  # a number: nothing to escape
    # the frame's text and the names of the values between (odd places): one pass, so a value
    # that happens to contain a mark's text is left as it is
    # the template's own output, the values escaped as it escapes them: safe HTML (SafeString, as
    # mark_safe makes it of a str, without its check for lazy text: ~1.5 µs a card)
    return SafeString("".join([values[part] if i % 2 else part for i, part in enumerate(parts)]))


def _product_of(row) -> _Marked:
    """What the card template reads, from a card row (a card rendered in full)."""
    return _Marked(
        id=row.id,
        title=row.title,
        cover=row.cover,
        cover_320=row.cover_320,
        effective_price=row.effective_price,
        price=row.price,
        deal_id=row.deal_id,
        sold_out=row.sold_out,
        sales_count=row.sales_count,
        shop=_Shop(name=row.shop_name),
    )


def _frame(variant: tuple) -> list[str] | None:
    """The card rendered for a stand-in of ``variant``'s kind of product, cut at its marks
    (text, value name, text, ...); None when no sales mark takes the same "N sold" form."""
    _, cover, cover_320, deal, discounted, sold_out, sold = variant
    sales = 0
    if sold:
        sales = next((n for n in _SALES_MARKS if ngettext(*_SOLD, n) == sold), None)
        if sales is None:
            return None
    marked = _Marked(
        id=_ID_MARK,
        title=_TITLE_MARK,
        cover=_COVER_MARK if cover else "",
        cover_320=_COVER_MARK if cover_320 else "",
        effective_price=_PRICE_MARK,
        price=_WAS_MARK if discounted else _PRICE_MARK,
        deal_id=1 if deal else None,
        sold_out=sold_out,
        sales_count=sales,
        shop=_Shop(name=_SHOP_MARK),
    )
    marks = _marks()
    split = re.compile("(" + "|".join(re.escape(mark) for mark in sorted(marks, key=len, reverse=True)) + ")")
    parts = split.split(render_to_string(TEMPLATE, {"p": marked}))
    return [marks[part] if i % 2 else part for i, part in enumerate(parts)]
