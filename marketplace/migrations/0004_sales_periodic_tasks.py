"""Seed the sale clock's django-celery-beat schedules (visible and editable in admin under
Periodic tasks). Every task polls and is idempotent, so intervals can be changed freely."""

from django.db import migrations

#: (name, task, every, period, queue, expire_seconds, description)
SCHEDULES = [
    (
        "Sale clock",
        "marketplace.tasks.sales.sale_clock_tick",
        10,
        "seconds",
        "sales",
        10,
        "Opens and closes sales on time, sends the 'opening soon' reminder, warms the sale page cache.",
    ),
    (
        "Expire unpaid orders",
        "marketplace.tasks.sales.orders_expire_overdue",
        1,
        "minutes",
        None,
        60,
        "Expires orders not paid in time; their stock, flash quantity and vouchers go back once.",
    ),
    (
        "Sale leaderboards",
        "marketplace.tasks.sales.sale_rankings_recompute",
        5,
        "minutes",
        "sales",
        300,
        "Recomputes the top shops and products of live and recently ended sales.",
    ),
]


def forwards(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, every, period, queue, expire_seconds, description in SCHEDULES:
        interval, _ = IntervalSchedule.objects.get_or_create(every=every, period=period)
        PeriodicTask.objects.get_or_create(
            name=name,
            defaults={
                "task": task,
                "interval": interval,
                "queue": queue,
                # A tick that waited longer than its interval is dropped: the next one does its work.
                "expire_seconds": expire_seconds,
                "description": description,
            },
        )


def backwards(apps, schema_editor):
    names = [name for name, *_ in SCHEDULES]
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=names).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("marketplace", "0003_catalogue_search_trigram"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
