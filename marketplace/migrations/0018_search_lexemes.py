"""Every lexeme of the products' search vectors, in a table of its own (PostgreSQL):
``marketplace_search_lexeme``, one row per lexeme (``COLLATE "C"``: byte order, as the vector's
GIN index compares them), written by ``services.search`` with each vector and never deleted (a
lexeme no vector has any more only makes a search ask for it: the same matches).

A search matches Latin words as prefixes ("neck" finds "necklace"). PostgreSQL answers a prefix
from the GIN index by collecting every row of every lexeme that starts with it into a bitmap,
without the skipping an exact lexeme gets: the ids query of "painted silk lantern" spent ~0.3 of
its ~0.4 ms there, the close matches' pairs ~0.6 ms. ``selectors.search.exact_terms`` asks this
table which lexemes each prefix stands for (once per term and process) and matches them exactly
(``'silk' | 'silki'`` for ``silk:*``): the same rows, ~3x cheaper in the index.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            'CREATE TABLE IF NOT EXISTS marketplace_search_lexeme (lexeme text COLLATE "C" PRIMARY KEY)'
        )
        schema_editor.execute(
            "INSERT INTO marketplace_search_lexeme (lexeme) "
            "SELECT DISTINCT unnest(tsvector_to_array(search_vector)) FROM marketplace_product "
            "ORDER BY 1 ON CONFLICT DO NOTHING"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP TABLE IF EXISTS marketplace_search_lexeme")


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0017_search_title_terms_index")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
