"""Seed the interest-profile schedules (editable in admin under Periodic tasks): hourly for
people active in the last two hours, nightly for everyone active within the 90-day window so
decay reaches them too. Both run on the ``feeds`` queue and are idempotent."""

import json

from django.db import migrations

#: (name, crontab minute, crontab hour, kwargs, description)
SCHEDULES = [
    ("Interest profiles: recently active", "7", "*", {"hours": 2}, "Rebuild interests of people active lately."),
    ("Interest profiles: everyone", "41", "4", {"hours": 90 * 24}, "Nightly rebuild so interests decay with age."),
]


def forwards(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, minute, hour, kwargs, description in SCHEDULES:
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=minute, hour=hour, day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC"
        )
        PeriodicTask.objects.get_or_create(
            name=name,
            defaults={
                "task": "community.tasks.interest_profiles_refresh",
                "crontab": crontab,
                "kwargs": json.dumps(kwargs),
                "queue": "feeds",
                "description": description,
            },
        )


def backwards(apps, schema_editor):
    names = [name for name, *_ in SCHEDULES]
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=names).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("community", "0004_questions_answers"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
