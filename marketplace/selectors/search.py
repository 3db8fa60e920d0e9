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
import functools
import itertools
import operator
import re
import unicodedata

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVectorField, TrigramWordSimilarity
from django.db import connection
from django.db.models import BigIntegerField, BooleanField, Case, F, FloatField, Func, Q, QuerySet, Value, When
from django.db.models.functions import Upper

from core.cache import ProcessEntries
from core.queries import CompiledQuery
from marketplace.caching import TAG_ALL, TAG_LISTS
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
    (``selectors.catalogue.product_list_page``). ``match``, when given, is the same query with
    its prefixes written as the lexemes they stand for (:func:`exact_tsquery_text`): the rows
    are matched with it, ranked with the query itself."""

    match: str | None

    def __new__(cls, text: str, match: str | None = None):
        query = super().__new__(cls, text)
        query.match = match
        return query


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


class ExactQueryOnce(SearchQuery):
    """A ``tsquery`` given as its text (``$1::tsquery``: no parsing, no stemming — the lexemes
    are the ones a vector has), made once per statement as :class:`SearchQueryOnce` is: the
    match of :func:`exact_tsquery_text` and :func:`close_word_values`."""

    def __init__(self, text: str):
        super().__init__(text, search_type="raw", config=TS_CONFIG)

    def as_sql(self, compiler, connection, function=None, template=None):
        sql, params = compiler.compile(self.get_source_expressions()[-1])  # the text (after the config)
        return f"(SELECT {sql}::tsquery)", params


def tsquery_text(words: list[str]) -> str:
    """A raw ``to_tsquery`` string: every term of every word, AND-ed. Terms are made of word
    characters only (``_RUN``), so nothing in them can be tsquery syntax."""
    return " & ".join(term for word in words for term in _word_terms(word))


def title_word_terms_text(word: str) -> str:
    """A raw ``to_tsquery`` string: one query word in a title's terms (:class:`TitleTerms`; its
    terms AND-ed, as in :func:`tsquery_text`)."""
    return " & ".join(_word_terms(word))


def title_pairs_terms_text(terms: list[str]) -> str:
    """A raw ``to_tsquery`` string: any two of the words ``terms`` (each
    :func:`title_word_terms_text`) in a title's terms."""
    return " | ".join(f"({a} & {b})" for i, a in enumerate(terms) for b in terms[i + 1 :])


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
            match = query if search.match is None else ExactQueryOnce(search.match)
        else:
            query = match = SearchQuery(text, search_type="raw", config=TS_CONFIG)
        queryset = queryset.filter(search_vector=match).annotate(
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


#: What each term of a query (``_word_terms``: ``silk:*``, ``珍珠``) is as exact lexemes
#: (:func:`exact_terms`), kept per process while the catalogue's tags hold (a write that adds a
#: lexeme bumps ``TAG_LISTS``: ``services.search``).
_EXACT_TERMS = ProcessEntries(tags=(TAG_ALL, TAG_LISTS), max_entries=20_000)
#: A prefix standing for more lexemes than this stays a prefix (an index scan of many lexemes
#: is no cheaper than the prefix's).
EXACT_PREFIX_MAX = 16
#: ``to_tsquery``'s text of one prefix: ``'silk':*`` (a lexeme with a quote or a backslash,
#: which documents' terms never have, stays a prefix).
_PREFIX_TEXT = re.compile(r"'([^'\\]+)':\*")
_EXACT_SQL = f"""
SELECT t.term, q::text, ARRAY(
    SELECT w.lexeme FROM marketplace_search_lexeme w
    WHERE w.lexeme >= substring(q::text from '^''([^''\\\\]+)'':\\*$') ORDER BY w.lexeme LIMIT {EXACT_PREFIX_MAX + 1}
)
FROM unnest(%s::text[]) AS t(term), LATERAL to_tsquery('{TS_CONFIG}', t.term) AS q
"""


def _quoted(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def _exact_read(terms: list[str]) -> dict[str, str]:
    from core.queries import execute_prepared

    with connection.cursor() as cursor:
        execute_prepared(cursor, name="search_exact_terms", sql=_EXACT_SQL, params=[terms])
        rows = cursor.fetchall()
    found = {}
    for term, text, lexemes in rows:
        prefix = _PREFIX_TEXT.fullmatch(text)
        stands_for = [lexeme for lexeme in lexemes if prefix and lexeme.startswith(prefix.group(1))]
        found[term] = " | ".join(map(_quoted, stands_for)) if 0 < len(stands_for) <= EXACT_PREFIX_MAX else text
    return found


def exact_terms(terms: list[str]) -> dict[str, str]:
    """PostgreSQL: each term (``_word_terms``: ``silk:*``, ``珍珠``) as ``to_tsquery`` makes it
    (stemmed; empty for a stop word), its prefix written as **the lexemes it stands for**:
    ``silk:*`` is ``'silk' | 'silki'`` when those are the lexemes of every vector that start
    with ``silk`` (``marketplace_search_lexeme``, kept with the vectors: ``services.search``).
    A vector matches one iff it matches the other, and the GIN index answers exact lexemes ~3x
    cheaper than a prefix, which it reads whole into a bitmap (the ids query of three words
    ~0.25 -> ~0.08 ms, the close matches' pairs ~0.65 -> ~0.28 ms). A prefix of no lexeme or of
    more than :data:`EXACT_PREFIX_MAX` stays a prefix. One query for the terms this process does
    not know under the catalogue's tags (:data:`_EXACT_TERMS`), none for the others."""
    return _EXACT_TERMS.get_many(terms, _exact_read)


def _and(texts) -> str:
    """Texts of ``tsquery`` AND-ed, the empty ones (stop words) left out as ``to_tsquery`` leaves
    them out."""
    return " & ".join(f"( {text} )" for text in texts if text)


def _or(texts) -> str:
    """Texts of ``tsquery`` OR-ed, the empty ones left out (as :func:`_and`)."""
    return " | ".join(f"( {text} )" for text in texts if text)


def exact_tsquery_text(words: list[str]) -> str:
    """:func:`tsquery_text` of ``words`` as ``to_tsquery`` makes it, its prefixes written as the
    lexemes they stand for (:func:`exact_terms`): the text of a ``tsquery`` (``::tsquery``,
    :class:`ExactQueryOnce`) that matches the same vectors."""
    terms = [term for word in words for term in _word_terms(word)]
    exact = exact_terms(terms)
    return _and(exact[term] for term in terms)


def _exact_word_text(word: str, exact: dict[str, str]) -> str:
    return _and(exact[term] for term in _word_terms(word))


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


class IdIn(Func):
    """``<column> = ANY(<array>)``: a list of ids as ONE parameter (PostgreSQL), so the SQL of a
    read by ids is the same whatever their number (compiled and prepared once)."""

    output_field = BooleanField()

    def as_sql(self, compiler, connection, **extra_context):
        column, ids = self.get_source_expressions()
        column_sql, column_params = compiler.compile(column)
        ids_sql, ids_params = compiler.compile(ids)
        return f"{column_sql} = ANY({ids_sql})", [*column_params, *ids_params]


def ids_value(ids: list[int]) -> Value:
    """``ids`` as one array parameter (for :class:`IdIn`)."""
    return Value(list(ids), output_field=ArrayField(BigIntegerField()))


#: Each title word's best-selling public products (:func:`title_word_best_sellers`), kept per
#: process while the catalogue's tags hold (a product write — its sales, stock, status — bumps
#: ``TAG_LISTS``): queries differ, their words recur.
_BEST_SELLERS = ProcessEntries(tags=(TAG_ALL, TAG_LISTS), max_entries=20_000)


def _best_sellers_queryset(queries: list, *, size: int) -> QuerySet:
    """``(id, sales_count, i)`` of the ``size`` best sellers whose title has the word of each
    ``queries[i]`` (a ``SearchQuery`` of :func:`title_word_terms_text`), one branch a word."""
    from marketplace.selectors.catalogue import product_list_public_plain  # catalogue imports this module

    titled = product_list_public_plain().alias(title_terms=TitleTerms("search_vector"))
    parts = [
        titled.filter(title_terms=query)
        .annotate(word=Value(i))
        .order_by("-sales_count", "-id")
        .values_list("pk", "sales_count", "word")[:size]
        for i, query in enumerate(queries)
    ]
    return parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]


#: :func:`_best_sellers_queryset` of ``SUGGESTION_LIMIT`` for 1 to ``SEARCH_MAX_TERMS`` words,
#: compiled once per number of words and prepared (the close matches' words that a process does
#: not know yet: every word of them after each product write).
_BEST_SELLERS_READ: dict[int, CompiledQuery] = {}


def _best_sellers_query(count: int) -> CompiledQuery:
    query = _BEST_SELLERS_READ.get(count)
    if query is None:

        def build(**texts):
            return _best_sellers_queryset(
                [SearchQueryOnce(texts[f"t{i}"]) for i in range(count)], size=SUGGESTION_LIMIT
            )

        sentinels = {f"t{i}": (f"jishisentinel{i}sa:*", f"jishisentinel{i}sb:*") for i in range(count)}
        query = _BEST_SELLERS_READ[count] = CompiledQuery(build, prepare=f"jishi_best_sellers_{count}", **sentinels)
    return query


def _best_sellers_read(terms: list[str], *, size: int) -> dict[str, list[tuple[int, int]]]:
    if size == SUGGESTION_LIMIT:
        rows = _best_sellers_query(len(terms)).rows(**{f"t{i}": text for i, text in enumerate(terms)})
    else:
        queries = [SearchQuery(text, search_type="raw", config=TS_CONFIG) for text in terms]
        rows = _best_sellers_queryset(queries, size=size)
    found: dict[str, list[tuple[int, int]]] = {text: [] for text in terms}
    for pk, sales, i in rows:
        found[terms[i]].append((pk, sales))
    for best in found.values():
        best.sort(key=lambda row: (-row[1], -row[0]))
    return found


def title_word_best_sellers(terms: list[str], *, size: int = SUGGESTION_LIMIT) -> dict[str, list[tuple[int, int]]]:
    """PostgreSQL: for each title word (``terms``: :func:`title_word_terms_text` of each word),
    the ``(id, sales_count)`` of the ``size`` best-selling public products whose title has it
    (then newest), in that order; empty for a word no title has. One query (compiled once per
    number of words) for the words this process does not know under the catalogue's current
    tags (:data:`_BEST_SELLERS`), none for the others."""
    if size != SUGGESTION_LIMIT:
        return _best_sellers_read(terms, size=size)
    return _BEST_SELLERS.get_many(terms, lambda missing: _best_sellers_read(missing, size=size))


def close_word_values(words: list[str], *, limit: int = SUGGESTION_LIMIT) -> dict | None:
    """The values of :func:`close_by_words` for the query ``words`` (its first step of the close
    matches), or None when no title has any of them: ``w0`` ... (each word's title terms, once
    per distinct word), ``pairs`` (any two of them: None for one word) and ``best`` (the ids of
    the ``limit`` best-selling products whose title has any of the words, from
    :func:`title_word_best_sellers`)."""
    distinct = list({title_word_terms_text(word): word for word in words}.items())
    terms = [text for text, _word in distinct]
    lists = title_word_best_sellers(terms, size=limit)
    ranked = sorted({(sales, pk) for rows in lists.values() for pk, sales in rows}, reverse=True)
    if not ranked:
        return None
    # matched as the lexemes their prefixes stand for (exact_terms: the same titles)
    exact = exact_terms([term for _text, word in distinct for term in _word_terms(word)])
    texts = [_exact_word_text(word, exact) for _text, word in distinct]
    values = {f"w{i}": text for i, text in enumerate(texts)}
    values["pairs"] = _or(_and(pair) for pair in itertools.combinations(texts, 2)) if len(texts) > 1 else None
    values["best"] = [pk for _, pk in ranked[:limit]]
    return values


def close_by_words(queryset: QuerySet[Product], *, words: list, pairs, best) -> QuerySet[Product]:
    """The first step of the close matches (:func:`product_suggestion_rows`), over ``queryset``:
    its products whose title has **most of the query's words** (``words``: each word's
    :func:`title_word_terms_text` as a ``SearchQuery``, matched against :class:`TitleTerms`),
    then **best-selling**, then newest. The candidates are the titles with any two of the words
    (``pairs``, None for one word: the title-terms index) and ``best`` (ids, :func:`ids_value`:
    the ``limit`` best sellers with any one word): their first ``limit`` are the first ``limit``
    of every title with any of the words. Those with two words or more are all candidates; the
    *k*-th one-word title of the first ``limit`` (*k* ≤ ``limit`` less the titles with more
    words) has by sales alone at most *k* - 1 one-word titles and those with more words before
    it, fewer than ``limit``: it is one of ``best``. So the ~1,300 titles that share a common
    word are neither read nor ranked for every misspelt query (~2.5–4 ms of PostgreSQL CPU); the
    words' best sellers are kept per process (:func:`title_word_best_sellers`)."""
    titled = queryset.alias(title_terms=TitleTerms("search_vector"))
    candidates = Q(IdIn(F("pk"), best))
    if pairs is not None:
        candidates |= Q(title_terms=pairs)
    has = [Case(When(title_terms=word, then=Value(1)), default=Value(0)) for word in words]
    return (
        titled.filter(candidates)
        .annotate(likeness=functools.reduce(operator.add, has))
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


def close_sentinels(count: int) -> dict:
    """The sentinels of :func:`close_by_words` compiled for ``count`` distinct words (``w0`` ...,
    ``pairs`` from two words on, ``best``): here and in ``selectors.catalogue``'s cards."""
    sentinels = {f"w{i}": (f"jishisentinel{i}ta:*", f"jishisentinel{i}tb:*") for i in range(count)}
    if count > 1:
        sentinels["pairs"] = ("jishisentinelpa:*", "jishisentinelpb:*")
    sentinels["best"] = ([-7_700_031], [-7_700_032])
    return sentinels


def close_word_count(values: dict) -> int:
    """How many distinct words :func:`close_word_values`' ``values`` are for."""
    return sum(1 for name in values if name.startswith("w"))


def close_by_words_once(queryset: QuerySet[Product], **values) -> QuerySet[Product]:
    """:func:`close_by_words` of :func:`close_word_values`' values for SQL compiled once: the
    words' exact terms made once per statement (:class:`ExactQueryOnce`), the ids one parameter."""
    count = close_word_count(values)
    return close_by_words(
        queryset,
        words=[ExactQueryOnce(values[f"w{i}"]) for i in range(count)],
        pairs=ExactQueryOnce(values["pairs"]) if values.get("pairs") is not None else None,
        best=ids_value(values["best"]),
    )


#: The word step of the close matches (``(id, title)``), compiled once per process and number of
#: words (a misspelt query per request spent more Python building it than PostgreSQL answering
#: it) and prepared: its terms are made once per statement (:class:`SearchQueryOnce`).
_CLOSE_BY_WORDS: dict[int, CompiledQuery] = {}


def _close_by_words_query(count: int) -> CompiledQuery:
    query = _CLOSE_BY_WORDS.get(count)
    if query is None:
        from marketplace.selectors.catalogue import product_list_public_plain  # catalogue imports this module

        def build(**values):
            return close_by_words_once(product_list_public_plain(), **values).values_list("pk", "title")[
                :SUGGESTION_LIMIT
            ]

        query = _CLOSE_BY_WORDS[count] = CompiledQuery(
            build, prepare=f"jishi_close_by_words_4_{count}", **close_sentinels(count)
        )
    return query


def product_suggestion_rows(*, search: str, limit: int = SUGGESTION_LIMIT) -> list[tuple[int, str]]:
    """Close matches for a search that found nothing: ``(id, title)`` of the public products
    whose title is most like the query, best first.

    PostgreSQL, in two steps: products whose **title has any of the query's words** (the title
    terms' index), those with **most of the words** first, then **best-selling**, then newest
    (:func:`close_by_words`) — "woven gold teapot" that no title has whole shows the gold
    teapots, best sellers first; only when no title has any of the words (a misspelling: "perl
    necklase"), titles like a query word by **trigram word similarity**, each word served by the
    title's trigram index, most similar to the query first. The first step answers in a
    millisecond or so; the trigram step computes a similarity for every title that shares a
    word's trigrams (~100 ms at 10,000 products when the words are common), so it runs only when
    the words themselves are nowhere. SQLite: difflib over the titles of the newest 2,000
    products."""
    from marketplace.selectors.catalogue import product_list_public_plain  # catalogue imports this module

    words = query_words(search)
    if not words:
        return []
    phrase = " ".join(words)
    if _is_postgres():
        values = close_word_values(words, limit=limit)
        found = []
        if values is not None and limit == SUGGESTION_LIMIT:
            found = _close_by_words_query(close_word_count(values)).rows(**values)
        elif values is not None:
            close = close_by_words_once(product_list_public_plain(), **values)
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
