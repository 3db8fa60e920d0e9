"""Keeping products' search documents up to date (the reads are ``marketplace.selectors.search``).

A product's document is its title (weight A), its category's names with the ancestors' and its
shop's name (B), and its description (C). ``search_text`` holds them normalised (both databases;
SQLite matches on it); on PostgreSQL ``search_vector`` holds their terms as a weighted
``tsvector`` (GIN index). The catalogue services call :func:`product_search_refresh` whenever one
of those fields changes: product create and edit, shop rename, category rename. Anything that
writes products another way (a bulk load, a fix in the shell) runs
``manage.py search_reindex`` afterwards.

On PostgreSQL every lexeme written is also kept in ``marketplace_search_lexeme`` (migration 0018;
never deleted): a search matches a prefix as the lexemes it stands for
(``selectors.search.exact_terms``), which must be all of them. A write that adds one bumps the
lists' tag, under which processes keep what the prefixes stand for.
"""

from collections.abc import Iterable

from django.db import connection
from django.db.models import Q

from core.cache import bump_on_commit
from marketplace.caching import TAG_LISTS
from marketplace.models import Category, Product
from marketplace.selectors.search import TS_CONFIG, document_terms, normalize

#: Products re-indexed per statement.
CHUNK = 500


def _category_names() -> dict[str, str]:
    """Each category path's names, root first ("Jewellery 首饰 Necklaces 项链")."""
    names = dict(Category.objects.values_list("slug", "name"))
    paths = Category.objects.values_list("path", flat=True)
    return {path: " ".join(names.get(slug, "") for slug in path.split("/")) for path in paths}


def _rows(products: Iterable[dict], categories: dict[str, str]) -> list[tuple]:
    rows = []
    for p in products:
        meta = f"{categories.get(p['category__path'], '')} {p['shop__name']}"
        text = normalize(f"{p['title']}\n{meta}\n{p['description']}")
        rows.append((p["id"], text, document_terms(p["title"]), document_terms(meta), document_terms(p["description"])))
    return rows


def _write(rows: list[tuple]) -> None:
    if connection.vendor != "postgresql":
        Product.objects.bulk_update([Product(id=row[0], search_text=row[1]) for row in rows], ["search_text"])
        return
    values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(rows))
    # The vectors' lexemes go into marketplace_search_lexeme in the same statement (in order, so
    # two writers adding the same new lexemes wait for each other instead of deadlocking).
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH written AS (
                UPDATE marketplace_product AS p SET
                    search_text = v.text,
                    search_vector = setweight(to_tsvector('{TS_CONFIG}', v.a), 'A')
                                 || setweight(to_tsvector('{TS_CONFIG}', v.b), 'B')
                                 || setweight(to_tsvector('{TS_CONFIG}', v.c), 'C')
                FROM (VALUES {values}) AS v(id, text, a, b, c)
                WHERE p.id = v.id
                RETURNING p.search_vector
            ), added AS (
                INSERT INTO marketplace_search_lexeme (lexeme)
                SELECT DISTINCT unnest(tsvector_to_array(search_vector)) FROM written ORDER BY 1
                ON CONFLICT DO NOTHING
                RETURNING 1
            )
            SELECT count(*) FROM added
            """,
            [value for row in rows for value in row],
        )
        (added,) = cursor.fetchone()
    if added:
        # what a search's prefixes stand for (selectors.search.exact_terms, kept per process
        # under the lists' tags) is asked again
        bump_on_commit(TAG_LISTS)


def product_search_refresh(
    *, product_ids: Iterable[int] | None = None, shop_id: int | None = None, category_path: str | None = None
) -> int:
    """Rebuild the search documents of the given products, of a shop's products, of the
    products in a category and its descendants, or (no argument) of every product. Returns how
    many were rebuilt. Idempotent; the product rows' other fields are not touched (no
    ``updated_at`` change)."""
    products = Product.objects.all()
    if product_ids is not None:
        products = products.filter(id__in=list(product_ids))
    if shop_id is not None:
        products = products.filter(shop_id=shop_id)
    if category_path is not None:
        products = products.filter(Q(category__path=category_path) | Q(category__path__startswith=f"{category_path}/"))
    categories = _category_names()
    done, last_id = 0, 0
    fields = ("id", "title", "description", "category__path", "shop__name")
    while True:
        chunk = list(products.filter(id__gt=last_id).order_by("id").values(*fields)[:CHUNK])
        if not chunk:
            return done
        _write(_rows(chunk, categories))
        done += len(chunk)
        last_id = chunk[-1]["id"]
