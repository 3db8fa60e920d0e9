"""Product search: text into terms, the query into a match, relevance, close matches.

**Terms.** Text is NFKC-normalised and case-folded, then split into runs. A run of Latin letters
or digits is a word (PostgreSQL stems it with the ``english`` configuration: "pearls" finds
"pearl", "necklaces" finds "necklace"). A run of CJK characters is written as its single characters
and its overlapping character pairs (淡水珍珠 → 淡 水 珍 珠 淡水 水珍 珍珠), so Chinese without spaces
matches with no dictionary: a query run of two or more characters must contain every one of its
pairs, a single character must occur. Character pairs were chosen over jieba segmentation by
measuring (docs/marketplace-catalogue.md, "Search"): on the benchmark catalogue pairs found all
the substring matches, jieba's search mode 91.8 % (it cuts 普洱茶叶 as 普洱茶 + 叶, so 茶叶 misses
it), at 20x the indexing time and an 8 s dictionary load per process.

**Matching.** Every word of the query must match somewhere in the product's title, description,
category names (with its ancestors) or shop name. On PostgreSQL the product's ``search_vector``
(kept by ``marketplace.services.search``; GIN index) answers ``@@`` with a prefix match for
Latin words ("neck" finds "necklace"); relevance is ``ts_rank`` with the title weighted A,
category and shop names B, the description C. On SQLite (``make run``, local tests) each word is
a substring of the product's ``search_text`` (the same fields, normalised) and relevance counts
3 for a word in the title, 2 in its category's or shop's name, 1 elsewhere: simpler, no
stemming, same contract.
"""

import difflib
import re
import unicodedata

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVectorField, TrigramWordSimilarity
from django.db import connection
from django.db.models import Case, F, FloatField, Func, Q, QuerySet, Value, When
from django.db.models.functions import Upper

from core.queries import CompiledQuery
from marketplace.models import Product

#: At most this many words of a query are matched.
SEARCH_MAX_TERMS = 5
#: The PostgreSQL text-search configuration of the vector and the query (stems English).
TS_CONFIG = "english"
#: Close matches shown when a search finds nothing.
SUGGESTION_LIMIT = 6

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_RUN = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+")
_CJK_RUN = re.compile(rf"[{_CJK}]+")


def normalize(text: str) -> str:
    """Full-width to half-width, case-folded: the form both documents and queries are compared in."""
    return unicodedata.normalize("NFKC", text or "").casefold()


def cjk_grams(run: str) -> list[str]:
    """A CJK run's single characters and overlapping pairs, in order."""
    grams = []
    for i, char in enumerate(run):
        grams.append(char)
        if i + 1 < len(run):
            grams.append(run[i : i + 2])
    return grams


def document_terms(text: str) -> str:
    """The space-separated terms of a document part (for ``to_tsvector``)."""
    terms = []
    for run in _RUN.findall(normalize(text)):
        terms.extend(cjk_grams(run) if _CJK_RUN.fullmatch(run) else [run])
    return " ".join(terms)


def query_words(search: str) -> list[str]:
    """The query's words (normalised, whitespace-separated, at most SEARCH_MAX_TERMS)."""
    return [w for w in normalize(search).split() if _RUN.search(w)][:SEARCH_MAX_TERMS]


def _word_terms(word: str) -> list[str]:
    """What one query word must all match: Latin runs as prefixes, CJK runs as their pairs."""
    terms = []
    for run in _RUN.findall(word):
        if _CJK_RUN.fullmatch(run):
            terms.extend([run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)])
        else:
            terms.append(f"{run}:*")
    return terms


class TsQuery(str):
    """A raw ``to_tsquery`` string (:func:`tsquery_text`): given as ``search`` to
    :func:`product_search` it is matched as it is, through :class:`SearchQueryOnce`. SQL
    compiled once per process takes the query's terms as a parameter this way
    (``selectors.catalogue.product_list_page``)."""


class SearchQueryOnce(SearchQuery):
    """A raw ``to_tsquery`` (configuration :data:`TS_CONFIG`) made once per statement: a scalar
    subquery, ``(SELECT to_tsquery(...))``, which PostgreSQL evaluates once (an InitPlan) even in
    a generic plan — where a bare ``to_tsquery($1)`` is evaluated again for every row it ranks
    or rechecks (~1,300 rows of close matches: 58 ms instead of ~6). So SQL that takes the terms
    as a parameter can be **prepared** (``core.queries.CompiledQuery(prepare=...)``): planning
    was a third of a distinct search's ids query (0.6 of ~1.1 ms). The same ``tsquery`` value,
    so the same matches and ranks. The planner no longer sees the terms: it estimates every
    query's matches alike (0.5 % of the rows); the statements that use it need every match
    anyway (a count over all matches, a rank of all), so a bitmap scan of the GIN index is the
    plan whatever the estimate."""

    def __init__(self, text: str):
        super().__init__(text, search_type="raw", config=TS_CONFIG)

    def as_sql(self, compiler, connection, function=None, template=None):
        sql, params = super().as_sql(compiler, connection, function, template)
        return f"(SELECT {sql})", params


def tsquery_text(words: list[str]) -> str:
    """A raw ``to_tsquery`` string: every term of every word, AND-ed. Terms are made of word
    characters only (``_RUN``), so nothing in them can be tsquery syntax."""
    return " & ".join(term for word in words for term in _word_terms(word))


def title_any_tsquery_text(words: list[str]) -> str:
    """A raw ``to_tsquery`` string: any one word of ``words`` in a title (weight A; a word's own
    terms AND-ed, as in :func:`tsquery_text`)."""
    weighted = []
    for word in words:
        terms = [f"{term}A" if term.endswith(":*") else f"{term}:A" for term in _word_terms(word)]
        weighted.append("(" + " & ".join(terms) + ")")
    return " | ".join(weighted)


def title_any_terms_text(words: list[str]) -> str:
    """:func:`title_any_tsquery_text` without the weights, for the titles' terms alone
    (:class:`TitleTerms`)."""
    return " | ".join("(" + " & ".join(_word_terms(word)) + ")" for word in words)


class TitleTerms(Func):
    """A product's title terms: the lexemes of its ``search_vector`` at weight A (the title's,
    ``services.search``), ``ts_filter(search_vector, '{a}')`` — the expression of the GIN index
    ``product_title_terms`` (migration 0017). ``TitleTerms(...) @@ 'word:*'`` keeps exactly
    the rows ``search_vector @@ 'word:*A'`` keeps, but the index answers it without a recheck:
    a weight in the query has PostgreSQL read every candidate's vector again (~1,300 for the
    close matches of common words, ~0.5 of their ~2.4 ms)."""

    function = "ts_filter"
    template = "%(function)s(%(expressions)s, '{a}')"
    output_field = SearchVectorField()


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def product_search(queryset: QuerySet[Product], *, search: str) -> tuple[QuerySet[Product], bool]:
    """Keep the products that match every word of ``search`` and annotate ``relevance``.

    Returns ``(queryset, searched)``; ``searched`` is False when the query has no words (the
    queryset is then unchanged)."""
    if isinstance(search, TsQuery):  # PostgreSQL only: the terms are ready
        words, text = [search], search
    else:
        words = query_words(search)
        text = tsquery_text(words) if words and _is_postgres() else ""
    if not words:
        return queryset, False
    if _is_postgres():
        if isinstance(search, TsQuery):
            query = SearchQueryOnce(text)
        else:
            query = SearchQuery(text, search_type="raw", config=TS_CONFIG)
        queryset = queryset.filter(search_vector=query).annotate(
            relevance=SearchRank(F("search_vector"), query, cover_density=False)
        )
        return queryset, True
    relevance = Value(0)
    for word in words:
        queryset = queryset.filter(search_text__contains=word)
        relevance = relevance + Case(
            When(title__icontains=word, then=Value(3)),
            When(Q(category__name__icontains=word) | Q(shop__name__icontains=word), then=Value(2)),
            default=Value(1),
        )
    return queryset.annotate(relevance=relevance * Value(1.0, output_field=FloatField())), True


def title_near_q(words: list[str]) -> Q:
    """PostgreSQL: the title (``title_upper``: annotate ``Upper("title")``) is like one of the
    words — pg_trgm's ``%>`` (word similarity above its threshold, 0.6), which the title's
    trigram index (migration 0003, on ``UPPER(title)``) serves."""
    near = Q()
    for word in words:
        near |= Q(title_upper__trigram_word_similar=Upper(Value(word)))
    return near


def product_suggestions(queryset: QuerySet[Product], *, search: str, limit: int = SUGGESTION_LIMIT) -> list[Product]:
    """Close matches for a search that found nothing (:func:`product_suggestion_rows`), as rows
    of ``queryset`` (e.g. priced for cards), in the same order."""
    ids = [pk for pk, _ in product_suggestion_rows(search=search, limit=limit)]
    found = {p.pk: p for p in queryset.filter(pk__in=ids)} if ids else {}
    return [found[pk] for pk in ids if pk in found]


def close_by_words(queryset: QuerySet[Product], *, terms: SearchQuery, ranked: SearchQuery) -> QuerySet[Product]:
    """The first step of the close matches (:func:`product_suggestion_rows`), over ``queryset``:
    its products whose title has any of the words (``terms``: :func:`title_any_terms_text`,
    matched against :class:`TitleTerms`), most of the words first (``ts_rank`` of the whole
    vector for ``ranked``: :func:`title_any_tsquery_text`), then best-selling."""
    return (
        queryset.alias(title_terms=TitleTerms("search_vector"))
        .filter(title_terms=terms)
        .annotate(likeness=SearchRank(F("search_vector"), ranked, cover_density=False))
        .order_by("-likeness", "-sales_count", "-id")
    )


def close_by_likeness(queryset: QuerySet[Product], *, words: list[str], phrase: str) -> QuerySet[Product]:
    """The second step of the close matches (:func:`product_suggestion_rows`), over ``queryset``:
    its products whose title is like one of ``words`` (:func:`title_near_q`), most like
    ``phrase`` (the words joined) first, then best-selling."""
    return (
        queryset.annotate(title_upper=Upper("title"))
        .filter(title_near_q(words))
        .annotate(likeness=TrigramWordSimilarity(Upper(Value(phrase)), "title_upper"))
        .order_by("-likeness", "-sales_count", "-id")
    )


def _close_by_words_queryset(*, terms: str, tsquery: str) -> QuerySet:
    from marketplace.selectors.catalogue import product_list_public_plain  # catalogue imports this module

    close = close_by_words(product_list_public_plain(), terms=SearchQueryOnce(terms), ranked=SearchQueryOnce(tsquery))
    return close.values_list("pk", "title")[:SUGGESTION_LIMIT]


#: The sentinels of the close matches' word step (:data:`_CLOSE_BY_WORDS`; also
#: ``selectors.catalogue._CLOSE_CARDS``): its two parameters, the terms and the weighted query.
CLOSE_SENTINELS = {
    "terms": ("jishisentinelta:*", "jishisentineltb:*"),
    "tsquery": ("jishisentinela:*A", "jishisentinelb:*A"),
}


#: The word step of the close matches, compiled once per process (a misspelt query per request
#: spent more Python building it than PostgreSQL answering it) and prepared: its terms are made
#: once per statement (:class:`SearchQueryOnce`).
_CLOSE_BY_WORDS = CompiledQuery(_close_by_words_queryset, prepare="jishi_close_by_words_2", **CLOSE_SENTINELS)


def product_suggestion_rows(*, search: str, limit: int = SUGGESTION_LIMIT) -> list[tuple[int, str]]:
    """Close matches for a search that found nothing: ``(id, title)`` of the public products
    whose title is most like the query, best first (the search page takes their cards from the
    card cache, like its results).

    PostgreSQL, in two steps: products whose **title has any of the query's words** (the
    full-text index: ``word:*A | …``, weight A is the title), those with most of the words first
    (``ts_rank``), then best-selling — "woven gold teapot" that no title has whole shows the
    gold teapots; only when no title has any of the words (a misspelling: "perl necklase"),
    titles like a query word by **trigram word similarity**, each word served by the title's
    trigram index, most similar to the query first. The first step answers in a few
    milliseconds; the trigram step computes a similarity for every title that shares a word's
    trigrams (~100 ms at 10,000 products when the words are common), so it runs only when the
    words themselves are nowhere. SQLite: difflib over the titles of the newest 2,000 products."""
    from marketplace.selectors.catalogue import product_list_public_plain  # catalogue imports this module

    words = query_words(search)
    if not words:
        return []
    phrase = " ".join(words)
    if _is_postgres():
        if limit == SUGGESTION_LIMIT:
            found = _CLOSE_BY_WORDS.rows(terms=title_any_terms_text(words), tsquery=title_any_tsquery_text(words))
        else:
            terms = SearchQuery(title_any_terms_text(words), search_type="raw", config=TS_CONFIG)
            ranked = SearchQuery(title_any_tsquery_text(words), search_type="raw", config=TS_CONFIG)
            close = close_by_words(product_list_public_plain(), terms=terms, ranked=ranked)
            found = list(close.values_list("pk", "title")[:limit])
        if found:
            return found
        return list(
            close_by_likeness(product_list_public_plain(), words=words, phrase=phrase).values_list("pk", "title")[
                :limit
            ]
        )
    candidates = list(product_list_public_plain().order_by("-created_at", "-id").values_list("pk", "title")[:2000])

    def likeness(title: str) -> float:
        title = normalize(title)
        return max(
            difflib.SequenceMatcher(None, phrase, title).ratio(),
            *(difflib.SequenceMatcher(None, word, part).ratio() for word in words for part in title.split()),
        )

    scored = sorted(((likeness(title), (pk, title)) for pk, title in candidates), key=lambda pair: -pair[0])
    return [row for score, row in scored[:limit] if score >= 0.6]
