"""Seed Headline's django-celery-beat schedules (editable in admin under Periodic tasks). Both
poll and are idempotent, so intervals can be changed freely. The "for you" rebuilds have no
schedule of their own: each follows a user's interest-profile rebuild (community's job)."""

from django.db import migrations

#: (name, task, every, period, expire_seconds, description); queues come from CELERY_TASK_ROUTES.
SCHEDULES = [
    (
        "Topic clock",
        "headline.tasks.topic_clock_tick",
        1,
        "minutes",
        60,
        "Opens the topic of the day when its day starts (once) and re-ranks trending.",
    ),
    (
        "Trending stories",
        "headline.tasks.trending_refresh",
        5,
        "minutes",
        300,
        "Ranks trending stories (engagement with time decay) and caches the ranking.",
    ),
]


def forwards(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, every, period, expire_seconds, description in SCHEDULES:
        interval, _ = IntervalSchedule.objects.get_or_create(every=every, period=period)
        PeriodicTask.objects.get_or_create(
            name=name,
            defaults={
                "task": task,
                "interval": interval,
                "expire_seconds": expire_seconds,
                "description": description,
            },
        )


def backwards(apps, schema_editor):
    names = [name for name, *_ in SCHEDULES]
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=names).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("headline", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
