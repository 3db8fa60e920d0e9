"""Page views for catalogue: browsing (product list, category, search, shop, product page) and
the seller's pages (dashboard, shop and product editing, images).

Browsing pages render their main content once into the versioned cache (``core/cache.py``)
and serve it to everyone until a product write or sale boundary invalidates it; an anonymous
request then touches neither the session store nor the database.
"""

import copy
import hashlib
import re
from html import escape as html_escape
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import pages, slots
from core.cache import NOW_PLACEHOLDER, ProcessEntries, asked_before, cached, read_ahead
from core.errors import ApplicationError
from core.plurals import PluralForms
from marketplace.caching import TAG_ALL, TAG_LISTS, product_tag
from marketplace.cards import card_rows_html, product_card_html
from marketplace.charts import bar_chart
from marketplace.filters import ProductFilter, list_params, param
from marketplace.forms import ImageUploadForm, ProductForm, ShopForm
from marketplace.models import Product
from marketplace.permissions import user_can_manage
from marketplace.selectors import catalogue as selectors
from marketplace.selectors import dashboard as dashboard_selectors
from marketplace.services import catalogue as services
from marketplace.services import images as image_services

PAGE_SIZE = 24
CSRF_PLACEHOLDER = pages.CSRF_PLACEHOLDER
#: The shop page shows live-ish counters (followers, rating): cached at most this long.
SHOP_PAGE_TTL = 30


def _timestamp(instant) -> float | None:
    return instant.timestamp() if instant else None


def _ms(instant) -> int | None:
    return int(instant.timestamp() * 1000) if instant else None


def _key(prefix: str, params: str) -> str:
    """A page's cache key: its parameters and the active language (the HTML is translated)."""
    return f"{prefix}:{get_language()}:{hashlib.sha1(params.encode()).hexdigest()}"


def _pristine(request) -> bool:
    """No session and no messages: an anonymous visitor whose page is everyone's page."""
    return settings.SESSION_COOKIE_NAME not in request.COOKIES and "messages" not in request.COOKIES


def _body(value: dict) -> SafeString:
    """A main part's ``html`` as the page's ``body``: safe HTML, given as text or, by a list page,
    UTF-8 encoded (:func:`_list_html`)."""
    html = value["html"]
    return SafeString(html.decode()) if isinstance(html, bytes) else mark_safe(html)


def _utf8(value: dict) -> bytes:
    """A main part's ``html`` UTF-8 encoded (a list page's already is)."""
    html = value["html"]
    return html if isinstance(html, bytes) else html.encode()


def _render(request, value: dict, template: str):
    """``value`` is a cached main part: ``title``, ``html`` (text, or UTF-8: :func:`_body`) and
    any template context."""
    return render(request, template, {**value, "body": _body(value)})


_with_csrf = pages.with_csrf


def _render_shared(request, value: dict, template: str, **context) -> tuple[bytes, bool]:
    """A page to be cached for others (``core.pages.render_shared``): content, personal."""
    return pages.render_shared(request, template, {**value, **context, "body": _body(value)})


#: Where a frame (``_render_framed``) takes the request's values.
_FRAME_MARKS = {name: f"__JISHI_FRAME_{name.upper()}__" for name in ("title", "body", "q", "path")}
_FRAME_SPLIT = re.compile("(" + "|".join(_FRAME_MARKS.values()) + ")")
#: Frames kept per process (template × language × URL name × searched: a handful).
FRAMES_MAX = 64
_frames: dict[tuple, list[str]] = {}


def _render_framed(request, value: dict, template: str, **context) -> tuple[bytes, bool]:
    """:func:`_render_shared` of a list page for a pristine request, from a *frame*: the page
    around its main part (``base.html``: header, search box, footer) rendered once per process,
    template, language and URL name, with marks where the request's values go — the title, the
    main part, the search box's words (``q``, else ``search``) and the full path (the language
    form's ``next``) — filled per request, escaped as the template escapes them. Rendering
    ``base.html`` cost a distinct search ~1.5 ms; nothing else in it depends on the request for
    a visitor without a session (no account, no messages), nor in a page shell for signed-in
    visitors (``shell=True``: the account links are a marker, messages are never in a shell),
    which tests compare byte for byte."""
    q = request.GET.get("q") or request.GET.get("search") or ""
    key = (template, get_language(), getattr(request.resolver_match, "url_name", None), bool(q), *context.items())
    parts = _frames.get(key)
    if parts is None:
        clone = copy.copy(request)
        clone.GET = QueryDict(mutable=True)
        if q:
            clone.GET["q"] = _FRAME_MARKS["q"]
        clone.path = _FRAME_MARKS["path"]
        clone.META = {**request.META, "QUERY_STRING": ""}
        marked = {**value, "title": _FRAME_MARKS["title"], "html": _FRAME_MARKS["body"]}
        content, personal = _render_shared(clone, marked, template, **context)
        if personal:
            return _render_shared(request, value, template, **context)
        # the frame's text kept encoded (UTF-8): a page is its text and the values encoded one by
        # one — its ~6 KB of ASCII frame are neither widened to the body's Chinese characters nor
        # encoded again per request
        parts = [part if i % 2 else part.encode() for i, part in enumerate(_FRAME_SPLIT.split(content.decode()))]
        if len(_frames) < FRAMES_MAX:
            _frames[key] = parts
    fill = {  # escaped as the template escapes them (Django's escape is html.escape of the text)
        _FRAME_MARKS["title"]: html_escape(str(value["title"])).encode(),
        _FRAME_MARKS["body"]: _utf8(value),  # a list page's main part comes encoded
        _FRAME_MARKS["q"]: html_escape(q).encode(),
        _FRAME_MARKS["path"]: html_escape(request.get_full_path()).encode(),
    }
    return b"".join(fill[part] if i % 2 else part for i, part in enumerate(parts)), False


def _serve(
    request,
    *,
    key: str,
    tags: tuple,
    build,
    template: str = "marketplace/page.html",
    framed: bool = False,
    also: dict | None = None,
):
    """Serve a browsing page whose main part ``build() -> (value, expires_at)`` makes; ``also``
    (``{key: tags}``) names versioned entries ``build`` reads, fetched with the page's own entry
    in one round trip (``core.cache.read_ahead``: a page that misses reads them anyway).

    Pristine anonymous requests get the whole page from the cache: one cache round trip, no
    session, no database, no template — the per-request slots that are the same for every
    anonymous visitor are rendered into it (``core.slots.prerender``; the page then also depends
    on their tags). Everyone else gets the page's shell from the cache with their own account
    links, token and per-request slots put in (``core.pages``), or, with messages waiting, the
    cached main part inside a freshly rendered ``base.html``."""
    if not _pristine(request):

        def build_shell():
            value, expires_at = build()
            content, personal = (_render_framed if framed else _render_shared)(request, value, template, shell=True)
            if personal:
                return content, 0
            # "More from this shop" is the same for everyone: rendered in once, with its tags.
            content, slots_expire, extra = slots.prerender(content, everyone_only=True)
            return content, min((t for t in (expires_at, slots_expire) if t is not None), default=None), extra

        response = pages.serve_shell(request, key=key, tags=tags, build=build_shell, also=also)
        if response is None:
            response = _with_csrf(request, _render(request, cached(key, tags=tags, build=build), template))
        return response

    def build_page():
        value, expires_at = build()
        content, personal = (_render_framed if framed else _render_shared)(request, value, template)
        if personal:
            return content, 0
        # Per-request slots that are the same for every anonymous visitor (the voucher box, "more
        # from this shop", the follow link) are rendered in once, with their tags and expiry.
        content, slots_expire, extra = slots.prerender(content)
        return content, min((t for t in (expires_at, slots_expire) if t is not None), default=None), extra

    if also:
        read_ahead({f"{key}:anon": tags, **also})
    return pages.page_response(pages.csrf_filled(request, cached(f"{key}:anon", tags=tags, build=build_page)))


# --- browsing ----------------------------------------------------------------------------------


#: What the filter set is given as its queryset: it only parses (the selector reads), and reads
#: only the queryset's model.
_NO_PRODUCTS = Product.objects.none()


def _results(params: str, *, forced: dict, now, data: QueryDict | None = None) -> dict:
    """Filter, order and paginate public products for ``params`` (``list_params`` of the
    request's query; ``forced`` wins) — or for ``data``, the same parameters already parsed
    with ``forced`` in (not changed here); when a search finds nothing, its close matches
    (``suggestions``: ids and titles; ``suggestion_cards``: their card rows). ``links`` (the
    parameters but the page, for the pagination's links) only when there is more than a page."""
    if data is None:
        data = QueryDict(params, mutable=True)
        data.update(forced)
    filterset = ProductFilter(data, queryset=_NO_PRODUCTS)  # parses; the selector reads
    filters = filterset.product_filters()
    page = selectors.product_list_page(filters=filters, number=param(data, "page"), per_page=PAGE_SIZE, now=now)
    links = None
    if page.paginator.num_pages > 1:  # the pagination's links (a search: mostly one page)
        links = data.copy()
        links.pop("page", None)
    search = filterset.form.cleaned_data.get("q", "") if filterset.is_valid() else ""
    close = selectors.product_suggestion_cards(search=search, now=now) if search and not page.object_list else []
    return {
        "filterset": filterset,
        "page": page,
        "links": links,
        "search": search,
        "suggestions": [(card.id, card.title) for card in close],
        "suggestion_cards": close,
    }


def _cards(page) -> list[str]:
    """The HTML cards of a page of products (``marketplace/cards.py``, each rendered from a
    per-process frame): from the card values its query read with the ids (a search page on
    PostgreSQL: ``PageRows.cards``), else from its products. Nothing is cached per card: a
    search page's cards cost no read of their own, and the page itself is cached until a
    product write (``TAG_LISTS``) or the next sale boundary, so a card is never staler than the
    product page."""
    rows = page.object_list
    if isinstance(rows, selectors.PageRows) and rows.cards is not None:
        return card_rows_html(rows.cards)
    return [product_card_html(p) for p in rows]


#: The search page's URL per script prefix and URL conf (``reverse`` cost a page of close
#: matches ~40 µs; no language is in the URL).
_search_urls: dict[tuple, str] = {}


def _search_url() -> str:
    where = (get_script_prefix(), get_urlconf())
    url = _search_urls.get(where)
    if url is None:
        url = reverse("marketplace:search")
        if len(_search_urls) < FRAMES_MAX:
            _search_urls[where] = url
    return url


def _suggestion_links(suggestions: list[tuple[int, str]]) -> str:
    """The "did you mean" links of the first three close matches (``(id, title)``): a search
    for each title — ``format_html('<a href="{}?q={}">{}</a>', url, title|urlencode, title)``
    written out (each value escaped as format_html escapes a str: ``html.escape``)."""
    url = html_escape(_search_url())
    links = (
        f'<a href="{url}?q={html_escape(quote(title, safe="/"))}">{html_escape(title)}</a>'
        for _, title in suggestions[:3]
    )
    return SafeString(" · ".join(links))  # each value escaped


LIST_TEMPLATE = "marketplace/_product_list.html"
#: Where a list frame (:func:`_list_html`) takes the page's values.
_LIST_MARKS = {
    name: f"__JISHI_LIST_{name.upper()}__" for name in ("title", "filters", "nav", "cards", "search", "links", "close")
}
_LIST_SPLIT = re.compile("(" + "|".join([*_LIST_MARKS.values(), r"\b88001362[0-9]\b"]) + ")")
#: Numbers that stand for the count of products in a frame; the template words them with
#: ``blocktranslate count``, so a frame's number must take the count's plural form.
_COUNT_MARKS = (880_013_627, 880_013_621, 880_013_622, 880_013_625)
_COUNT = ("%(counter)s product", "%(counter)s products")
#: List frames kept per process (language × found × searched × close matches × plural form).
LIST_FRAMES_MAX = 64
_list_frames: dict[tuple, list] = {}
#: The count mark that takes each plural form (None: none does), per process.
_count_marks: dict[str, int | None] = {}
#: The plural form of the list's count per language and number.
_count_form = PluralForms(*_COUNT)


class _PageStandIn:
    """What the list template reads of a page, for a frame: one page, ``count`` products."""

    def __init__(self, *, count: int, found: bool):
        self.object_list = [None] if found else []
        self.paginator = type("Paginator", (), {"count": count, "num_pages": 1})()


def _list_html(context: dict) -> bytes:
    """``render_to_string(LIST_TEMPLATE, context)`` — the main part of a list page — UTF-8
    encoded, from a per-process *frame* when the list has no category and one page (every
    distinct search of a few products): the template rendered once per language and kind of list
    (found, searched, close matches, the plural form of its count) with marks, then the page's
    values put in, escaped as the template escapes them (a test compares both byte for byte).
    The count is a mark number of the same plural form, or, when none takes it (English "1
    product"), written in a frame of its own. Rendering it cost a distinct search ~0.3 ms of CPU;
    other lists (a category's breadcrumbs, pagination) are rendered. The frame's text is kept
    encoded, and so are the sidebar's parts (``filters_utf8``, ``category_nav_utf8`` when the
    context has them: :func:`_sidebar`): a page encodes only its own values, not the ~5 KB of the
    sidebar and frame again — widened to UCS-2 by the sidebar's Chinese category names, joined
    and encoded, they cost ~100k instructions a search."""
    page = context["page"]
    count = page.paginator.count
    if context["category"] is not None or page.paginator.num_pages > 1:
        return render_to_string(LIST_TEMPLATE, context).encode()
    found, search, close = bool(page.object_list), context["search"], bool(context["suggestions"])
    language = get_language()
    form = _count_form(language, count)
    number = _count_marks.get(form, 0)
    if number == 0:
        number = next((n for n in _COUNT_MARKS if ngettext(*_COUNT, n) == form), None)
        if len(_count_marks) < LIST_FRAMES_MAX:
            _count_marks[form] = number
    # a count whose plural form no mark number takes ("1 product") is written in its frame
    variant = (language, found, bool(search), close, form, count if number is None else None)
    parts = _list_frames.get(variant)
    if parts is None:
        if len(_list_frames) < LIST_FRAMES_MAX:
            marked = {
                **context,
                "title": _LIST_MARKS["title"],
                "filters": mark_safe(_LIST_MARKS["filters"]),
                "category_nav": mark_safe(_LIST_MARKS["nav"]),
                "cards_html": mark_safe(_LIST_MARKS["cards"]),
                "search": _LIST_MARKS["search"] if search else "",
                "suggestion_links": mark_safe(_LIST_MARKS["links"]),
                "suggestion_cards_html": mark_safe(_LIST_MARKS["close"]),
                "page": _PageStandIn(count=count if number is None else number, found=found),
            }
            split = _LIST_SPLIT.split(render_to_string(LIST_TEMPLATE, marked))
            parts = _list_frames[variant] = [part if i % 2 else part.encode() for i, part in enumerate(split)]
        else:
            return render_to_string(LIST_TEMPLATE, context).encode()
    filters, nav = context.get("filters_utf8"), context.get("category_nav_utf8")
    fill = {
        _LIST_MARKS["title"]: html_escape(str(context["title"])),  # as escape: without its check for lazy text
        _LIST_MARKS["filters"]: context["filters"] if filters is None else filters,
        _LIST_MARKS["nav"]: context["category_nav"] if nav is None else nav,
        _LIST_MARKS["cards"]: context.get("cards_html", ""),
        _LIST_MARKS["search"]: html_escape(search),
        _LIST_MARKS["links"]: context.get("suggestion_links", ""),
        _LIST_MARKS["close"]: context.get("suggestion_cards_html", ""),
    }
    # the frame's text (even places) is encoded; each value is encoded alone (ASCII ones by a copy)
    return b"".join(_encoded(fill.get(part, str(count))) if i % 2 else part for i, part in enumerate(parts))


def _encoded(text: str | bytes) -> bytes:
    return text if isinstance(text, bytes) else text.encode()


#: Stands for the search words in the cached filter form (``_sidebar``).
Q_PLACEHOLDER = "__JISHI_Q__"
_Q_PLACEHOLDER = Q_PLACEHOLDER.encode()
#: The sidebar's parts kept in each process under ``TAG_ALL`` (:func:`_sidebar`): text and
#: UTF-8, per sidebar key (language, category, the filter form's values: a few in use at a time).
SIDEBARS_MAX = 256
_SIDEBARS = ProcessEntries(tags=(TAG_ALL,), max_entries=SIDEBARS_MAX)
#: The filter form's parameters besides the search words and the category (in the sidebar's key).
_FORM_PARAMS = ("shop", "min_price", "max_price", "in_stock", "on_sale", "ordering")


def _sidebar_key(data: QueryDict, *, category_slug: str | None, invalid: bool) -> str:
    """The sidebar entry's key (:func:`_sidebar`) for the filter form's ``data`` on the page of
    ``category_slug`` (None: every category), ``invalid`` if the form's category is: known from
    the parameters alone, so a list page reads it ahead with its own entry (one round trip)."""
    chosen = str(param(data, "category") or "")[:100]
    given = "&".join(f"{name}={param(data, name, '')}" for name in _FORM_PARAMS)
    searched = int(bool(param(data, "q")))
    digest = hashlib.sha1(f"{chosen}|{given}|{searched}".encode()).hexdigest()[:16]
    return f"cat:sidebar:{get_language()}:{category_slug or '-'}:{digest}:{int(invalid)}"


def _sidebar(filterset, *, category, key: str | None = None) -> dict:
    """The browsing sidebar as template context, its parts rendered once for everyone (key
    :func:`_sidebar_key`, tag ``TAG_ALL``: categories change only with it): the category tree
    (``category_nav``, the current ``category`` marked), the filter form's category select
    (``category_select``: its options are every category) and the whole filter form
    (``filters``) with :data:`Q_PLACEHOLDER` for the search words, which differ with every
    search and are put in per request. A form with an invalid parameter is rendered per request
    (its errors show the values). ``key``: the entry's key for a valid category, when the caller
    made it already (:func:`_sidebar_key` of the same parameters).

    Each process keeps the entry's parts, text and UTF-8 encoded, under the same tag
    (:data:`_SIDEBARS`), so a page neither reads nor unpickles ~5 KB of sidebar per request;
    ``filters_utf8`` and ``category_nav_utf8`` are the filter form and the tree encoded, which
    :func:`_list_html` puts in as they are."""
    form = filterset.form
    # the values and errors of the form's q and category, without a bound field each (a bound
    # field evaluates its lazily translated label and help text): what their bound fields give
    q = form.data.get("q")
    invalid = "category" in form.errors
    if key is None or invalid:
        key = _sidebar_key(form.data, category_slug=category.slug if category else None, invalid=invalid)

    def build() -> tuple[dict, None]:
        nav = render_to_string(
            "marketplace/_category_nav.html", {"tree": selectors.category_tree(), "category": category}
        )
        select = str(form["category"])
        filters = ""
        if not form.errors:  # the same form (validated: no query again) showing the placeholder
            marked = copy.copy(form)
            marked.data = form.data.copy()
            if q:
                marked.data["q"] = Q_PLACEHOLDER
            marked._bound_fields_cache = {}
            filters = render_to_string(
                "marketplace/_filters.html", {"filterset": {"form": marked}, "category_select": mark_safe(select)}
            )
        return {"category_nav": nav, "category_select": select, "filters": filters}, None

    def kept(keys: list) -> dict:
        # the shared entry (read ahead by a list page when this process does not hold it), then
        # its parts encoded once here; a filter form's text split where the search words go
        parts = cached(key, tags=(TAG_ALL,), build=build)
        encoded = {name: html.encode() for name, html in parts.items()}
        encoded["filters"] = encoded["filters"].split(_Q_PLACEHOLDER)
        return {key: (parts, encoded)}

    parts, encoded = _SIDEBARS.get_many([key], kept)[key]
    sidebar = {name: SafeString(html) for name, html in parts.items()}  # rendered HTML, as mark_safe makes it
    sidebar["category_nav_utf8"] = encoded["category_nav"]
    if form.errors or not parts.get("filters"):  # the errors show what was given: rendered now
        html = render_to_string(
            "marketplace/_filters.html", {"filterset": filterset, "category_select": sidebar["category_select"]}
        )
        sidebar["filters"] = mark_safe(html)
        sidebar["filters_utf8"] = html.encode()
    else:
        words = html_escape(q or "")
        sidebar["filters"] = SafeString(parts["filters"].replace(Q_PLACEHOLDER, words))
        sidebar["filters_utf8"] = words.encode().join(encoded["filters"])
    return sidebar


def _list_page(request, *, category_slug: str | None = None):
    params = list_params(request.GET)
    # The parameters parsed once: the sidebar's key (read ahead with the page's entry) and, when
    # the page is built, its filters.
    data = QueryDict(params, mutable=True)
    if category_slug:
        data["category"] = category_slug
    sidebar_key = _sidebar_key(data, category_slug=category_slug, invalid=False)

    def build():
        now = timezone.now()
        category = selectors.category_get(slug=category_slug) if category_slug else None
        context = _results(params, forced={}, now=now, data=data)
        boundary = _timestamp(selectors.catalogue_next_price_change())
        cards = _cards(context["page"])
        if context["suggestions"]:
            cards = card_rows_html(context.pop("suggestion_cards"))
            context["suggestion_links"] = _suggestion_links(context["suggestions"])
        # One string: the template's loop over 24 cards cost ~0.1 ms more.
        context["suggestion_cards_html" if context["suggestions"] else "cards_html"] = SafeString("".join(cards))
        search = context["search"]
        if category:
            title = category.name
        elif search:
            title = _("Results for “%(search)s”") % {"search": search}
        else:
            title = _("Market")
        html = _list_html(
            {
                **context,
                "title": title,
                "category": category,
                "ancestors": selectors.category_ancestors(category=category) if category else [],
                **_sidebar(context["filterset"], category=category, key=sidebar_key),
            }
        )
        if search and not asked_before(key):
            # Most search queries are asked once: the page is stored when one is asked again.
            return {"title": title, "html": html}, 0
        return {"title": title, "html": html}, boundary

    key = _key(f"cat:page:list:{category_slug or '-'}", params)
    # The sidebar of a valid form is read ahead with the page's entry and the next sale boundary,
    # unless this process holds its parts (most pages: one round trip's ~5 KB less to unpickle).
    sidebar = {} if _SIDEBARS.holds(sidebar_key) else {sidebar_key: (TAG_ALL,)}
    return _serve(
        request,
        key=key,
        tags=(TAG_ALL, TAG_LISTS),
        build=build,
        framed=True,
        also={**selectors.NEXT_PRICE_CHANGE_ENTRY, **sidebar},
    )


def product_list(request):
    """All public products; also the search page (``?q=``, alias ``?search=``) with filters,
    sorting and, when nothing matches, close matches."""
    return _list_page(request)


def category_detail(request, slug):
    """A category's products, including those of its sub-categories."""
    return _list_page(request, category_slug=slug)


def shop_detail(request, slug):
    """A shop: its header (rating, followers: cached at most SHOP_PAGE_TTL s) and products."""
    params = list_params(request.GET)

    def build():
        now = timezone.now()
        shop = selectors.shop_get_public(slug=slug)
        context = _results(params, forced={"shop": shop.slug}, now=now)
        boundary = _timestamp(selectors.catalogue_next_price_change())
        context["cards"] = _cards(context["page"])
        html = render_to_string("marketplace/_shop_products.html", {**context, "shop": shop})
        expires_at = min(boundary or float("inf"), now.timestamp() + SHOP_PAGE_TTL)
        return {"title": shop.name, "html": html, "shop": shop}, expires_at

    key = _key(f"cat:page:shop:{slug}", params)
    tags = (TAG_ALL, TAG_LISTS, *slots.page_tags("shop", shop_slug=slug))
    return _serve(
        request,
        key=key,
        tags=tags,
        build=build,
        template="marketplace/shop.html",
        also=selectors.NEXT_PRICE_CHANGE_ENTRY,
    )


def _product_value(product, *, preview: bool = False) -> dict:
    deal = selectors.product_deal_live(product=product)
    html = render_to_string(
        "marketplace/_product_detail.html",
        {
            "product": product,
            "images": list(product.images.all()),
            "deal": deal,
            "deal_ends_ms": _ms(deal.sale.ends_at if deal.sale_id else deal.ends_at) if deal else None,
            "now_ms": NOW_PLACEHOLDER,
            "reviews": selectors.product_reviews_recent(product=product),
            "csrf_token": CSRF_PLACEHOLDER,
            # The cart form (orders' template) reads request.get_full_path for its "next".
            "request": {"get_full_path": product.get_absolute_url()},
            "preview": preview,
        },
    )
    return {"title": product.title, "html": html, "category_id": product.category_id}


def product_detail(request, pk: int):
    """The product page. Anonymous visitors get cached HTML (no session, no database); signed-in
    visitors get the same main part and their view is recorded. Owners can preview drafts."""

    def build():
        now = timezone.now()
        product = selectors.product_get_public(product_id=pk, now=now)
        return _product_value(product), _timestamp(selectors.product_next_price_change(product_id=pk, now=now))

    key = f"cat:page:product:{pk}:{get_language()}"
    # Upper apps' shared contributions to the page's slots (the Q&A summary) are cached with it.
    tags = (TAG_ALL, product_tag(pk), *slots.page_tags("product", product_id=pk))
    if _pristine(request):
        return _serve(request, key=key, tags=tags, build=build)
    # The page first: its shell reads the visitor's session and user ahead (core/pages.py).
    try:
        response = _serve(request, key=key, tags=tags, build=build)
    except Http404:
        if not request.user.is_authenticated:
            raise
        value = _product_value(selectors.product_get_visible(product_id=pk, user=request.user), preview=True)
        return _with_csrf(request, _render(request, value, "marketplace/page.html"))
    if request.user.is_authenticated:
        services.product_view_record(user=request.user, product_id=pk)
    return response


# --- seller pages ------------------------------------------------------------------------------


def _form_error(form, exc: ApplicationError) -> None:
    field = next(iter(exc.extra.get("fields", {})), None)
    form.add_error(field if field in form.fields else None, exc.message)


def _own_shop(request):
    """The user's shop, or None with a message asking them to open one."""
    shop = selectors.shop_get_for_owner(user=request.user)
    if shop is None:
        messages.info(request, _("Open your shop first."))
    return shop


def _managed_product(request, pk):
    product = selectors.product_get_for_update(product_id=pk)
    if not user_can_manage(request.user, product):
        raise PermissionDenied(_("Only the shop's owner may change this product."))
    return product


@login_required
def seller_dashboard(request):
    """The seller's products, recent orders and a 30-day revenue chart (SVG, server-rendered)."""
    shop = selectors.shop_get_for_owner(user=request.user)
    if shop is None:
        return render(request, "marketplace/seller_no_shop.html")
    revenue = dashboard_selectors.shop_revenue_by_day(shop=shop, days=30)
    return render(
        request,
        "marketplace/seller_dashboard.html",
        {
            "shop": shop,
            "products": selectors.product_list_for_shop_owner(shop=shop),
            "orders": dashboard_selectors.order_list_for_shop(shop=shop),
            "chart": bar_chart(revenue),
        },
    )


@login_required
def shop_create(request):
    if selectors.shop_get_for_owner(user=request.user):
        return redirect("marketplace:seller_dashboard")
    form = ShopForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            shop = services.shop_create(owner=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Your shop “%(name)s” is open. Add your first product!") % {"name": shop.name})
            return redirect("marketplace:seller_dashboard")
    return render(request, "marketplace/shop_form.html", {"form": form, "creating": True})


@login_required
def shop_edit(request):
    shop = _own_shop(request)
    if shop is None:
        return redirect("marketplace:shop_create")
    initial = {"name": shop.name, "description": shop.description}
    form = ShopForm(request.POST or None, request.FILES or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            services.shop_update(shop=shop, **form.cleaned_data)
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Shop saved."))
            return redirect("marketplace:seller_dashboard")
    return render(request, "marketplace/shop_form.html", {"form": form, "shop": shop, "creating": False})


@login_required
def product_create(request):
    shop = _own_shop(request)
    if shop is None:
        return redirect("marketplace:shop_create")
    form = ProductForm(request.POST or None, creating=True)
    if request.method == "POST" and form.is_valid():
        try:
            product = services.product_create(shop=shop, **form.cleaned_data)
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Product saved. Add some photos."))
            return redirect("marketplace:product_edit", pk=product.pk)
    return render(request, "marketplace/product_form.html", {"form": form, "creating": True})


@login_required
def product_edit(request, pk: int):
    product = _managed_product(request, pk)
    initial = {k: getattr(product, k) for k in ("title", "category", "description", "price", "stock", "status")}
    form = ProductForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.product_update(product=product, **form.cleaned_data)
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Product saved."))
            return redirect("marketplace:product_edit", pk=product.pk)
    return render(
        request,
        "marketplace/product_form.html",
        {
            "form": form,
            "product": product,
            "images": product.images.order_by("position", "id"),
            "image_form": ImageUploadForm(),
            "creating": False,
        },
    )


@login_required
@require_POST
def product_remove(request, pk: int):
    product = _managed_product(request, pk)
    try:
        services.product_remove(product=product, by=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("“%(title)s” was removed from your shop.") % {"title": product.title})
    return redirect("marketplace:seller_dashboard")


@login_required
def product_image_upload(request, pk: int):
    """Upload one product image (POST multipart); errors are shown on the product's edit page."""
    product = _managed_product(request, pk)
    form = ImageUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            image_services.product_image_add(product=product, upload=form.cleaned_data["image"])
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Image added; its display sizes are being made."))
            return redirect("marketplace:product_edit", pk=product.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "marketplace/image_upload.html", {"form": form, "product": product}, status=status)


@login_required
@require_POST
def product_image_delete(request, pk: int, image_id: int):
    product = _managed_product(request, pk)
    image_services.product_image_delete(image=selectors.product_image_get(product=product, image_id=image_id))
    messages.success(request, _("Image deleted."))
    return redirect("marketplace:product_edit", pk=product.pk)
