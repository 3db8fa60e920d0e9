"""``jishi_refuse(what)``: fails the statement with SQLSTATE ``JR001`` and ``what`` as its
message (PostgreSQL only). A statement of a :class:`core.queries.Batch` that carries the
transaction's ``COMMIT`` refuses by failing (``core.queries.refusing``), so that the ``COMMIT``
queued after it does not run."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION jishi_refuse(what text) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'JR001', MESSAGE = what;
END
$$
"""
DROP = "DROP FUNCTION IF EXISTS jishi_refuse(text)"


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = []

    operations = [migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP))]
