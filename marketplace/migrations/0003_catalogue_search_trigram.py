"""Trigram GIN indexes for product search (PostgreSQL only; SQLite falls back to a scan).

Search filters with Django's ``icontains``, which PostgreSQL runs as
``UPPER(col::text) LIKE UPPER('%q%')``: the indexes are on exactly those expressions so the
planner can use them for any query of three or more characters (CJK included: pg_trgm treats
CJK characters as word characters under the C.UTF-8 locale). Shorter queries, e.g. the two
characters 珍珠, still match correctly, by a scan.
"""

from django.db import migrations

INDEXES = {
    "product_title_trgm": "UPPER((title)::text)",
    "product_description_trgm": "UPPER((description)::text)",
}


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, expression in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON marketplace_product USING gin ({expression} gin_trgm_ops)"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0002_catalogue_seed_categories")]

    operations = [migrations.RunPython(forwards, backwards)]
