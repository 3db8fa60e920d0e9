"""Queues are chosen by ``settings.CELERY_TASK_ROUTES``: forget the queue names the sale clock's
schedules were seeded with (0004), so beat sends them where the settings say (a queue an admin
set by hand is kept)."""

from django.db import migrations

SEEDED = {"Sale clock": "sales", "Sale leaderboards": "sales"}


def forwards(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, queue in SEEDED.items():
        PeriodicTask.objects.filter(name=name, queue=queue).update(queue=None)


def backwards(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, queue in SEEDED.items():
        PeriodicTask.objects.filter(name=name, queue__isnull=True).update(queue=queue)


class Migration(migrations.Migration):
    dependencies = [
        ("marketplace", "0006_schedule_checkout_requests_prune"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
