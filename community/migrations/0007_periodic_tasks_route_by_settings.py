"""Queues are chosen by ``settings.CELERY_TASK_ROUTES``: forget the queue name the interest
profile schedules were seeded with (0005), so beat sends them where the settings say (a queue an
admin set by hand is kept)."""

from django.db import migrations

SEEDED = {"Interest profiles: recently active": "feeds", "Interest profiles: everyone": "feeds"}


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
        ("community", "0006_question_feed_entries"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
