"""Search documents on products (issue 9, "search that finds").

``search_text`` (both databases) and ``search_vector`` (PostgreSQL: a weighted tsvector with a GIN
index) are written by ``marketplace.services.search``; this migration fills them for the products
that exist. ``pg_trgm`` (enabled by 0003, again here for databases that skipped it) serves the
close-match suggestions through the title's trigram index.
"""

import django.contrib.postgres.search
from django.db import migrations, models


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS product_search_vector ON marketplace_product USING gin (search_vector)"
        )
        # Search no longer scans descriptions with LIKE; the title's trigram index stays (close matches).
        schema_editor.execute("DROP INDEX IF EXISTS product_description_trgm")
    # The live service reads and writes only the columns named here, so it stays usable as the
    # schema grows after this migration.
    from marketplace.services.search import product_search_refresh

    product_search_refresh()


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS product_search_vector")
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS product_description_trgm ON marketplace_product "
            "USING gin (UPPER((description)::text) gin_trgm_ops)"
        )


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0011_visibility")]

    operations = [
        migrations.AddField(
            model_name="product",
            name="search_text",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.AddField(
            model_name="product",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.RunPython(forwards, backwards),
    ]
