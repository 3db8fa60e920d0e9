"""Catalogue reads: shops, categories, products (always with effective prices), search.

**Public** means an ACTIVE shop, and an ACTIVE product of an ACTIVE shop. That rule lives here
once, in two shapes that a test keeps in step: :func:`shop_public_q` / :func:`product_public_q`
filter any queryset (also another app's, through its foreign key: ``product_public_q("product__")``)
and :func:`shop_is_public` / :func:`product_is_public` judge a loaded row. Every app uses them
(community's Q&A and follows, checkout, sales) instead of comparing statuses itself.

Every product queryset that shows a price goes through :func:`product_annotate_prices`.
"""

import itertools
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import NamedTuple

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db import connection
from django.db.models import (
    Count,
    F,
    Field,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Window,
)
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy

from core.cache import cached
from core.moderation import can_moderate
from core.queries import CompiledQuery
from core.visibility import Visibility
from marketplace.caching import TAG_ALL
from marketplace.models import (
    Category,
    Deal,
    DealStatus,
    Product,
    ProductImage,
    ProductStatus,
    Review,
    SaleEvent,
    Shop,
)
from marketplace.selectors.pricing import SqlArray, live_deal_values, product_annotate_prices, product_live_deal_once
from marketplace.selectors.search import (
    SUGGESTION_LIMIT,
    IdIn,
    TsQuery,
    close_by_likeness,
    close_by_words_once,
    close_sentinels,
    close_word_count,
    close_word_values,
    exact_tsquery_text,
    ids_value,
    product_search,
    product_suggestion_rows,
    query_words,
    tsquery_text,
)

ORDERINGS = {
    "relevance": gettext_lazy("Relevance"),
    "newest": gettext_lazy("Newest"),
    "price": gettext_lazy("Price: low to high"),
    "-price": gettext_lazy("Price: high to low"),
    "best_selling": gettext_lazy("Best-selling"),
}
_ORDER_BY = {
    "newest": ("-created_at", "-id"),
    "price": ("effective_price", "id"),
    "-price": ("-effective_price", "-id"),
    "best_selling": ("-sales_count", "-id"),
    "relevance": ("-relevance", "-sales_count", "-id"),
}


# --- the public rule ---------------------------------------------------------------------------


def shop_public_q(prefix: str = "") -> Q:
    """Rows whose shop (``prefix`` is the path to it, e.g. ``"shop__"``; empty for shops) is public."""
    return Q(**{f"{prefix}visibility": Visibility.VISIBLE})


def shop_is_public(shop: Shop) -> bool:
    return shop.visibility == Visibility.VISIBLE


def product_public_q(prefix: str = "") -> Q:
    """Rows whose product (``prefix`` is the path to it, e.g. ``"product__"``; empty for products)
    is public: an active, visible product of a visible shop."""
    return Q(**{f"{prefix}status": ProductStatus.ACTIVE, f"{prefix}visibility": Visibility.VISIBLE}) & shop_public_q(
        f"{prefix}shop__"
    )


def product_is_public(product: Product) -> bool:
    """The same rule for a loaded product (load its shop with it: ``select_related("shop")``)."""
    return (
        product.status == ProductStatus.ACTIVE
        and product.visibility == Visibility.VISIBLE
        and shop_is_public(product.shop)
    )


# --- shops -------------------------------------------------------------------------------------


def shop_get_public(*, slug: str) -> Shop:
    return get_object_or_404(Shop.objects.select_related("owner").filter(shop_public_q()), slug=slug)


def shop_get_for_writing(*, slug: str, user) -> Shop:
    """The shop at ``slug`` for a write by ``user``: their own shop whatever its visibility (the
    service decides: a banned owner is told 403 ``banned``, not 404), anyone else's if public."""
    if user.is_authenticated:
        own = Shop.objects.select_related("owner").filter(owner=user, slug=slug).first()
        if own is not None:
            return own
    return shop_get_public(slug=slug)


def shop_list_public() -> QuerySet[Shop]:
    return Shop.objects.filter(shop_public_q()).order_by("name", "id")


def shop_get_for_owner(*, user) -> Shop | None:
    """The signed-in user's own shop (any status), or None."""
    if not user.is_authenticated:
        return None
    return Shop.objects.filter(owner=user).first()


# --- categories --------------------------------------------------------------------------------


def category_list() -> QuerySet[Category]:
    """All categories in tree order (a parent right before its children)."""
    return Category.objects.order_by("path")


def category_get(*, slug: str) -> Category:
    return get_object_or_404(Category, slug=slug)


def category_ancestors(*, category: Category) -> list[Category]:
    """The category's ancestors, root first (one query; none for a top-level category)."""
    slugs = category.path.split("/")[:-1]
    found = {c.slug: c for c in Category.objects.filter(slug__in=slugs)} if slugs else {}
    return [found[slug] for slug in slugs if slug in found]


def category_tree() -> list[dict]:
    """Top-level categories with their children: ``[{"category": c, "children": [...]}]``."""
    nodes: dict[int, dict] = {}
    roots = []
    for category in Category.objects.order_by("path"):
        node = {"category": category, "children": []}
        nodes[category.id] = node
        parent = nodes.get(category.parent_id)
        (parent["children"] if parent else roots).append(node)
    for node in nodes.values():
        node["children"].sort(key=lambda n: (n["category"].position, n["category"].name))
    return sorted(roots, key=lambda n: (n["category"].position, n["category"].name))


# --- products ----------------------------------------------------------------------------------


def _public(queryset: QuerySet[Product]) -> QuerySet[Product]:
    return queryset.filter(product_public_q())


def product_annotate_cover(queryset: QuerySet[Product]) -> QuerySet[Product]:
    """Annotate ``cover`` and ``cover_320`` (storage names of the first image) without a
    per-row query; cards use ``cover_320`` when the display size exists."""
    first = ProductImage.objects.filter(product=OuterRef("pk")).order_by("position", "id")
    return queryset.annotate(
        cover=Subquery(first.values("image")[:1]), cover_320=Subquery(first.values("image_320")[:1])
    )


def product_annotate_cover_once(queryset: QuerySet[Product]) -> QuerySet[Product]:
    """PostgreSQL only: :func:`product_annotate_cover`'s two names as one annotation, ``covers``
    (``ARRAY[cover, cover_320]``, null without an image): one correlated subquery, not two."""
    first = ProductImage.objects.filter(product=OuterRef("pk")).order_by("position", "id")
    pair = SqlArray(F("image"), F("image_320"), output_field=Field())
    return queryset.annotate(covers=Subquery(first.annotate(pair=pair).values("pair")[:1], output_field=Field()))


def product_list_public_plain() -> QuerySet[Product]:
    """Public products without annotations (existence checks, the moderation registry)."""
    return _public(Product.objects.all())


def product_list_public(*, now: datetime | None = None, buyer=None) -> QuerySet[Product]:
    """Public products for cards and lists: prices (``buyer``'s, with the room-only deals they
    claimed, when given), shop and cover annotated (the search documents are not loaded)."""
    queryset = _public(Product.objects.select_related("shop", "category").defer("search_text", "search_vector"))
    return product_annotate_cover(product_annotate_prices(queryset, now=now, buyer=buyer))


def product_filter(
    queryset: QuerySet[Product],
    *,
    search: str = "",
    category: Category | None = None,
    shop: str = "",
    min_price: Decimal | None = None,
    max_price: Decimal | None = None,
    in_stock: bool | None = None,
    on_sale: bool | None = None,
    ordering: str = "",
) -> QuerySet[Product]:
    """Filter and order an annotated product queryset.

    ``search``: every word must match the product's title, description, category names or shop
    name (:func:`marketplace.selectors.search.product_search`: full-text on PostgreSQL, Chinese
    by character pairs; a substring fallback on SQLite); ordered by relevance then best-selling
    by default. ``category`` includes its descendants; prices filter on the *effective* price;
    ``on_sale`` keeps products with a live deal.
    """
    queryset, searched = product_search(queryset, search=search)
    if category is not None:
        queryset = queryset.filter(Q(category__path=category.path) | Q(category__path__startswith=f"{category.path}/"))
    if shop:
        queryset = queryset.filter(shop__slug=shop)
    if min_price is not None:
        queryset = queryset.filter(effective_price__gte=min_price)
    if max_price is not None:
        queryset = queryset.filter(effective_price__lte=max_price)
    if in_stock:
        queryset = queryset.filter(sold_out=False)
    if on_sale:
        queryset = queryset.filter(deal_id__isnull=False)
    if ordering not in _ORDER_BY or (ordering == "relevance" and not searched):
        ordering = "relevance" if searched else "newest"
    return queryset.order_by(*_ORDER_BY[ordering])


#: What a product card shows (``marketplace/cards.py``), as :func:`product_list_public` annotates
#: it: a search page's ids query and the close matches read these with each row, so their cards
#: need no other read (:class:`CardRow`).
CARD_COLUMNS = (
    "title",
    "shop__name",
    "cover",
    "cover_320",
    "effective_price",
    "price",
    "deal_id",
    "sold_out",
    "sales_count",
)


class CardRow(NamedTuple):
    """A product card's values (:data:`CARD_COLUMNS` after the id), read as a row, not a model
    instance: ``marketplace.cards.card_row_html`` renders it."""

    id: int
    title: str
    shop_name: str
    cover: str | None
    cover_320: str | None
    effective_price: Decimal
    price: Decimal
    deal_id: int | None
    sold_out: bool
    sales_count: int


#: :data:`CARD_COLUMNS` as a PostgreSQL query reads them (:func:`product_cards_once`): the cover
#: and the live deal in one correlated subquery each (two and three to four in CARD_COLUMNS'
#: form: the prices' subqueries run once for each column that reads them); :func:`card_row`
#: makes the card's values from them.
CARD_COLUMNS_ONCE = ("title", "shop__name", "covers", "price", "stock", "live_deal", "sales_count")


def product_cards_once(queryset: QuerySet[Product], *, now: datetime | None) -> QuerySet[Product]:
    """PostgreSQL only: ``queryset`` (products, as :func:`product_list_public` makes them, or
    filtered and ordered from it) with what :data:`CARD_COLUMNS_ONCE` reads."""
    return product_annotate_cover_once(queryset.annotate(live_deal=product_live_deal_once(now=now)))


def card_row(pk, title, shop_name, covers, price, stock, live, sales_count) -> "CardRow":
    """The :class:`CardRow` of a row of :data:`CARD_COLUMNS_ONCE` (after its id): the same values
    as :data:`CARD_COLUMNS` read (``pricing.live_deal_values``)."""
    cover, cover_320 = covers or (None, None)
    deal_id, effective_price, _, _, sold_out = live_deal_values(price=price, stock=stock, live=live)
    return CardRow(pk, title, shop_name, cover, cover_320, effective_price, price, deal_id, sold_out, sales_count)


class PageRows(Sequence):
    """A page's products known by their ids (in page order), loaded with every annotation on
    first use — or only some of them (:meth:`load`). ``rows`` is the annotated queryset to load
    from, or a function ``ids -> products`` (:func:`product_cards_load`). ``cards``, when the
    page's query read them with the ids (:func:`product_list_page`), are the rows' card values
    (:class:`CardRow`, in page order): the page's cards are rendered from them, nothing loaded."""

    def __init__(
        self,
        rows: QuerySet[Product] | Callable[[list[int]], list[Product]],
        ids: list[int],
        *,
        cards: list[CardRow] | None = None,
    ):
        self.ids = ids
        self.cards = cards
        self._source = rows
        self._rows: list[Product] | None = None

    def load(self, ids: list[int]) -> list[Product]:
        """The rows of ``ids`` (those still public), read now, in the order of ``ids``; one query."""
        if not ids:
            return []
        if callable(self._source):
            products = self._source(ids)
        else:
            products = self._source.filter(pk__in=ids).order_by()
        found = {p.pk: p for p in products}
        return [found[pk] for pk in ids if pk in found]

    def _all(self) -> list[Product]:
        if self._rows is None:
            self._rows = self.load(self.ids)
        return self._rows

    def __len__(self) -> int:
        return len(self._all())

    def __bool__(self) -> bool:
        return bool(self.ids)

    def __getitem__(self, index):
        return self._all()[index]


def _product_cards_queryset(*, ids: list[int], now: datetime | None) -> QuerySet[Product]:
    if connection.vendor == "postgresql":
        return product_list_public(now=now).filter(IdIn(F("pk"), ids_value(ids)))
    return product_list_public(now=now).filter(pk__in=ids)


#: ``_product_cards_queryset`` compiled once per process and prepared once per connection: the
#: priced, illustrated rows of the product cards a page is missing (building the pricing
#: subqueries cost ~5 ms of Python, planning them ~2–4 ms of PostgreSQL), with its generic plan
#: from the first call (PostgreSQL kept planning it per call: a page misses a few cards, fewer
#: than the generic plan's ten ids; the plan reads each id by the primary key either way).
_PRODUCT_CARDS = CompiledQuery(
    _product_cards_queryset,
    prepare="jishi_product_cards",
    generic=True,
    ids=([-7_700_001], [-7_700_002]),
    now=(datetime(1901, 1, 1, 0, 0, 11, tzinfo=UTC), datetime(1902, 2, 2, 0, 0, 13, tzinfo=UTC)),
)


def product_cards_load(*, now: datetime) -> Callable[[list[int]], list[Product]]:
    """``ids -> products``: public products of ``ids`` (any order) with what a product card
    shows — :func:`product_list_public` at ``now`` — in one query compiled once (``PageRows``)."""
    return lambda ids: _PRODUCT_CARDS.run(ids=list(ids), now=now)


class ProductPaginator(Paginator):
    """Pages of an annotated product list that compute the per-product annotations (prices,
    covers: correlated subqueries) for the rows of the page only.

    A plain page is ``SELECT <every annotation> ... ORDER BY ... LIMIT 24``, and PostgreSQL
    computes the select list of every matching row before the sort: ~10 subqueries for each of
    thousands of search matches. Here the page's ids come from a query that only filters and
    sorts (computing an annotation only where a filter or the ordering needs it), and only those
    rows are annotated, in the same order.

    A list is one query: ``... WHERE id IN (SELECT id ... ORDER BY ... LIMIT 24) ORDER BY ...``,
    after its ``COUNT`` (an index hands such a list its first rows without visiting the rest).
    A search (``relevance`` annotated) ranks every match anyway, so its ids query also counts
    them (``COUNT(*) OVER ()``) instead of a separate ``COUNT`` repeating the full-text index
    scan; the page's rows then come by id (``WHERE id IN (<24 ids>)``, put back in order).
    Both: two queries, one when nothing matches."""

    def page(self, number):
        queryset = self.object_list
        if "relevance" in queryset.query.annotations and "count" not in self.__dict__:
            bottom = (self._positive(number) - 1) * self.per_page
            rows = list(
                queryset.annotate(matches=Window(Count("pk"))).values_list("pk", "matches")[
                    bottom : bottom + self.per_page
                ]
            )
            if rows or not bottom:  # past the last page: count, then the last page (get_page)
                self.__dict__["count"] = rows[0][1] if rows else 0  # Paginator.count is a cached property
                return self._get_page(PageRows(queryset, [pk for pk, _ in rows]), self.validate_number(number), self)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        return self._get_page(queryset.filter(pk__in=queryset.values("pk")[bottom:top]), number, self)

    def _positive(self, number) -> int:
        """``number`` checked as :meth:`validate_number` does, without the count (not known yet)."""
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        return number


#: Browsing filters whose value is a parameter of a compiled search page's SQL (the sentinels
#: stand for them); ``category`` is part of the shape instead (its path is matched with ``LIKE``).
_SEARCH_PAGE_VALUES = {
    "shop": ("-jishi-shop-a", "-jishi-shop-b"),
    "min_price": (Decimal("-7700001.01"), Decimal("-7700002.02")),
    "max_price": (Decimal("-7700003.03"), Decimal("-7700004.04")),
}
_SEARCH_NOW = (datetime(1901, 1, 1, 0, 0, 17, tzinfo=UTC), datetime(1902, 2, 2, 0, 0, 19, tzinfo=UTC))
_SEARCH_TSQUERY = ("jishisentinela:*", "jishisentinelb:*")
_SEARCH_MATCH = ("'jishisentinelma'", "'jishisentinelmb'")
#: Pages of a search served by compiled SQL (the offset is in the SQL): later pages build theirs.
SEARCH_COMPILED_PAGES = 10
#: Compiled search pages kept per process (shapes: filters given, category, order, page).
SEARCH_COMPILED_MAX = 500
_SEARCH_PAGES: dict[tuple, CompiledQuery] = {}
#: The prepared statements' names, one per compiled shape (a connection holds at most
#: ``core.queries.MAX_PREPARED``; past that a shape runs unprepared).
_search_page_names = itertools.count(1)


def _search_page_query(shape: tuple) -> CompiledQuery:
    """The page query of one *shape* of search page (which filters are given, the category, the
    order, the page), compiled once: :func:`product_filter` over :func:`product_list_public` as
    :class:`ProductPaginator` asks it — each row's id and the count of matches — with each row's
    card (:data:`CARD_COLUMNS`), the search words (ranked as ``to_tsquery`` makes them, matched as
    the lexemes their prefixes stand for: ``search.exact_tsquery_text``), the shop, the prices
    and the clock standing as sentinels. PostgreSQL computes the cards' correlated subqueries (prices, covers) after the
    sort and the limit, for the page's rows only (``EXPLAIN``: a ``Result`` above the ``Sort``,
    each subplan run once per row of the page)."""
    query = _SEARCH_PAGES.get(shape)
    if query is not None:
        return query
    given, category, flags, ordering, bottom, per_page = shape

    def build(*, match, tsquery=_SEARCH_TSQUERY[0], now=None, **values):
        queryset = product_filter(
            product_list_public(now=now),
            search=TsQuery(tsquery, match),
            category=category,
            ordering=ordering,
            in_stock="in_stock" in flags,
            on_sale="on_sale" in flags,
            **values,
        )
        queryset = product_cards_once(queryset.annotate(matches=Window(Count("pk"))), now=now)
        return queryset.values_list("pk", "matches", *CARD_COLUMNS_ONCE)[bottom : bottom + per_page]

    sentinels = {name: _SEARCH_PAGE_VALUES[name] for name in given}
    sentinels["now"] = _SEARCH_NOW
    sentinels["match"] = _SEARCH_MATCH
    if ordering == "relevance":  # the words as to_tsquery makes them rank the rows
        sentinels["tsquery"] = _SEARCH_TSQUERY
    # Prepared: the terms are made once per statement (search.SearchQueryOnce), also in a generic plan.
    query = CompiledQuery(build, prepare=f"jishi_search_page_{next(_search_page_names)}", **sentinels)
    if len(_SEARCH_PAGES) < SEARCH_COMPILED_MAX:
        _SEARCH_PAGES[shape] = query
    return query


def product_list_page(*, filters: dict, number=1, per_page: int, now: datetime) -> Page:
    """A page of :func:`product_filter` (``filters`` are its keyword arguments) over
    :func:`product_list_public` at ``now``: the same rows, order and count as
    ``ProductPaginator(...).get_page(number)``; for a search on PostgreSQL from SQL compiled once
    per shape of page: a distinct query per request spent more Python building and compiling the
    filtered, priced queryset than PostgreSQL spent answering it. The page's rows are
    ``PageRows`` with their cards (:class:`CardRow`) read by the same query; loaded as products
    by :func:`product_cards_load` only if asked for. Other cases (no search words, SQLite, a
    page past :data:`SEARCH_COMPILED_PAGES` or past the end, an invalid number) take the
    queryset path."""
    filters = {"search": "", "category": None, "ordering": "", **filters}
    search, category, ordering = filters["search"], filters["category"], filters["ordering"]
    words = query_words(search)
    try:
        page_number = 1 if number is None else int(number) if not isinstance(number, float) else None
    except (TypeError, ValueError):
        page_number = None
    if (
        connection.vendor != "postgresql"
        or not words
        or page_number is None
        or not 1 <= page_number <= SEARCH_COMPILED_PAGES
        or (ordering and ordering not in _ORDER_BY)
    ):
        queryset = product_filter(product_list_public(now=now), **filters)
        return ProductPaginator(queryset, per_page).get_page(number)
    given = tuple(name for name in _SEARCH_PAGE_VALUES if filters.get(name) not in ("", None))
    flags = tuple(name for name in ("in_stock", "on_sale") if filters.get(name))
    bottom = (page_number - 1) * per_page
    shape = (given, category, flags, ordering or "relevance", bottom, per_page)
    query = _search_page_query(shape)
    values = {name: filters[name] for name in given}
    rows = query.rows(tsquery=tsquery_text(words), match=exact_tsquery_text(words), now=now, **values)
    if not rows and bottom:  # past the last page: the queryset path counts and serves the last one
        queryset = product_filter(product_list_public(now=now), **filters)
        return ProductPaginator(queryset, per_page).get_page(number)
    paginator = ProductPaginator([], per_page)
    paginator.__dict__["count"] = rows[0][1] if rows else 0  # Paginator.count is a cached property
    cards = [card_row(pk, *card) for pk, _, *card in rows]
    return paginator._get_page(
        PageRows(product_cards_load(now=now), [card.id for card in cards], cards=cards), page_number, paginator
    )


#: The close matches' first step with their cards (:func:`product_suggestion_cards`), compiled
#: once per number of words and prepared (its terms made once per statement:
#: ``search.SearchQueryOnce``); the cards' subqueries run for the six rows kept, after the sort.
_CLOSE_CARDS: dict[int, CompiledQuery] = {}


def _close_cards_query(count: int) -> CompiledQuery:
    query = _CLOSE_CARDS.get(count)
    if query is None:

        def build(*, now, **values):
            close = close_by_words_once(product_list_public(now=now), **values)
            return product_cards_once(close, now=now).values_list("pk", *CARD_COLUMNS_ONCE)[:SUGGESTION_LIMIT]

        query = _CLOSE_CARDS[count] = CompiledQuery(
            build, prepare=f"jishi_close_cards_4_{count}", now=_SEARCH_NOW, **close_sentinels(count)
        )
    return query


#: The close matches' second step with their cards, compiled once per number of words (not
#: prepared: it runs only for a query no title has a word of, and a generic plan of a trigram
#: match could not see how common the words are).
_CLOSE_LIKE: dict[int, CompiledQuery] = {}


def _close_like_query(count: int) -> CompiledQuery:
    query = _CLOSE_LIKE.get(count)
    if query is None:

        def build(*, now, phrase, **words):
            like = close_by_likeness(
                product_list_public(now=now), words=[words[f"w{i}"] for i in range(count)], phrase=phrase
            )
            return product_cards_once(like, now=now).values_list("pk", *CARD_COLUMNS_ONCE)[:SUGGESTION_LIMIT]

        words = {f"w{i}": (f"jishisentinel{i}a", f"jishisentinel{i}b") for i in range(count)}
        query = _CLOSE_LIKE[count] = CompiledQuery(
            build, now=_SEARCH_NOW, phrase=("jishisentinelpa", "jishisentinelpb"), **words
        )
    return query


def product_suggestion_cards(*, search: str, now: datetime) -> list[CardRow]:
    """The close matches of a search that found nothing — the products of
    ``search.product_suggestion_rows``, in its order — with their cards (:class:`CardRow`, prices
    at ``now``) read with them: on PostgreSQL each of its two steps is one query compiled once
    (the second runs only when the first finds nothing); elsewhere the rows, then their cards."""
    words = query_words(search)
    if not words:
        return []
    if connection.vendor != "postgresql":
        ids = [pk for pk, _ in product_suggestion_rows(search=search)]
        cards = _product_cards_queryset(ids=ids, now=now).values_list("pk", *CARD_COLUMNS) if ids else []
        found = {row[0]: row for row in cards}
        return [CardRow(*found[pk]) for pk in ids if pk in found]
    values = close_word_values(words)
    rows = _close_cards_query(close_word_count(values)).rows(now=now, **values) if values is not None else []
    if not rows:
        values = {f"w{i}": word for i, word in enumerate(words)}
        rows = _close_like_query(len(words)).rows(now=now, phrase=" ".join(words), **values)
    return [card_row(*row) for row in rows]


def product_list_for_shop_owner(*, shop: Shop, status: str | None = None) -> QuerySet[Product]:
    """All of a shop's products in any status (seller dashboard, the owner's API list) — drafts
    included — or only those of ``status``, newest first, with prices and covers."""
    queryset = Product.objects.filter(shop=shop).select_related("shop", "category").order_by("-created_at", "-id")
    if status:
        queryset = queryset.filter(status=status)
    return product_annotate_cover(product_annotate_prices(queryset))


def product_get_public(*, product_id: int, now: datetime | None = None) -> Product:
    """A public product with prices, shop, category and images (two queries)."""
    queryset = _public(Product.objects.select_related("shop", "category")).prefetch_related(
        Prefetch("images", queryset=ProductImage.objects.order_by("position", "id"))
    )
    return get_object_or_404(product_annotate_prices(queryset, now=now), pk=product_id)


def product_get_visible(*, product_id: int, user) -> Product:
    """A product the user may see: public ones, or any of their own shop's (moderators: any)."""
    queryset = Product.objects.select_related("shop", "category").prefetch_related(
        Prefetch("images", queryset=ProductImage.objects.order_by("position", "id"))
    )
    if not can_moderate(user):
        visible = product_public_q()
        if user.is_authenticated:
            visible |= Q(shop__owner=user) & ~Q(visibility=Visibility.REMOVED)
        queryset = queryset.filter(visible)
    return get_object_or_404(product_annotate_prices(queryset), pk=product_id)


def product_get_public_brief(*, product_id: int) -> Product:
    """A public product with its shop — no prices, no images (one query): for pages of other
    apps that name and link a product (its questions, a story about it)."""
    return get_object_or_404(Product.objects.select_related("shop").filter(product_public_q()), pk=product_id)


def product_category_id(*, product_id: int) -> int | None:
    """The category of a product (any status), or None if there is no such product."""
    return Product.objects.filter(pk=product_id).values_list("category_id", flat=True).first()


def product_get_for_update(*, product_id: int) -> Product:
    """Any product with its shop, for write endpoints (permissions decide 403 vs 404)."""
    return get_object_or_404(Product.objects.select_related("shop"), pk=product_id)


def product_image_get(*, product: Product, image_id: int) -> ProductImage:
    return get_object_or_404(ProductImage.objects.select_related("product__shop"), product=product, pk=image_id)


def product_deal_live(*, product: Product) -> Deal | None:
    """The live deal behind a product's effective price (with its sale), if any."""
    if not getattr(product, "deal_id", None):
        return None
    return Deal.objects.select_related("sale").filter(pk=product.deal_id).first()


def product_reviews_recent(*, product: Product, limit: int = 5) -> list[Review]:
    return list(
        Review.objects.filter(product=product, visibility=Visibility.VISIBLE)
        .select_related("author")
        .prefetch_related("images")
        .order_by("-created_at")[:limit]
    )


def product_next_price_change(*, product_id: int | None = None, now: datetime | None = None) -> datetime | None:
    """The next instant a sale starts or ends that could change an effective price (of one
    product, or of any product when ``product_id`` is None). Caches of prices expire then."""
    now = now or timezone.now()
    sales = SaleEvent.objects.filter(ends_at__gt=now)
    if product_id is not None:
        sales = sales.filter(deals__product_id=product_id, deals__status=DealStatus.APPROVED)
    boundaries = [
        instant
        for starts_at, ends_at in sales.values_list("starts_at", "ends_at")
        for instant in (starts_at, ends_at)
        if instant > now
    ]
    return min(boundaries, default=None)


#: The cache entry of :func:`catalogue_next_price_change` (``{key: tags}``): pages that will ask
#: for it read it ahead with their own entry (``core.cache.read_ahead``), one round trip for both.
NEXT_PRICE_CHANGE_ENTRY = {"cat:next-price-change": (TAG_ALL,)}


def catalogue_next_price_change() -> datetime | None:
    """:func:`product_next_price_change` of any product from now, read through the catalogue
    cache: every list, search and API page asks it (one query each). The entry depends on
    ``TAG_ALL`` (bumped when a sale is saved or a deal approved) and expires at the boundary it
    names: until then no boundary lies between the moment it was computed and now."""

    def build():
        boundary = product_next_price_change(now=timezone.now())
        return boundary, boundary.timestamp() if boundary else None

    ((key, tags),) = NEXT_PRICE_CHANGE_ENTRY.items()
    return cached(key, tags=tags, build=build)
