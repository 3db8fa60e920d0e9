"""Bound the pending lists of the search GIN indexes (PostgreSQL).

A GIN index with ``fastupdate`` (the default) queues new entries in a pending list, up to
``gin_pending_list_limit`` (4 MB by default), until a vacuum or a full list moves them into the
index; every search reads the whole list, entry by entry. Every non-HOT update of a product (a
checkout bumps ``sales_count``, which an index covers) queues its whole search vector again, so on
a busy day the list is megabytes: on the 10,000-product bench catalogue after a bulk load, the
search's ids query took 4.2 ms against 1.7 ms with the list empty, and the title's trigram index
held the whole catalogue in its list. 128 kB keeps the batching (a write moves the list into the
index about every few hundred product updates) and bounds what a search reads.
"""

from django.db import migrations

INDEXES = ("product_search_vector", "product_title_trgm")


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in INDEXES:
            schema_editor.execute(f"ALTER INDEX IF EXISTS {name} SET (gin_pending_list_limit = 128)")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in INDEXES:
            schema_editor.execute(f"ALTER INDEX IF EXISTS {name} RESET (gin_pending_list_limit)")


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0015_schedule_refunds_auto_approve")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
