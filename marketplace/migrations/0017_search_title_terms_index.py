"""A GIN index on the title's terms of the search vector (PostgreSQL): ``ts_filter(search_vector,
'{a}')``, the lexemes at weight A, which ``services.search`` gives the title's terms only.

The close matches of a search that found nothing keep the products whose title has any of the
query's words. Asked as ``search_vector @@ 'word:*A'``, PostgreSQL rechecks every candidate's
vector for the weight (the index does not hold weights): ~1,300 candidates for three common
words at 10,000 products. Against this index (``selectors.search.TitleTerms``, no weight in the
query) the same rows need no recheck: PostgreSQL CPU of the step ~2.4 -> ~1.8 ms (250 bench
queries, the same rows). Nothing writes it: it follows ``search_vector``. The pending list is
bounded as the other search indexes' (0016).
"""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS product_title_terms ON marketplace_product "
            "USING gin (ts_filter(search_vector, '{a}')) WITH (gin_pending_list_limit = 128)"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS product_title_terms")


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0016_search_gin_pending_list_limit")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
