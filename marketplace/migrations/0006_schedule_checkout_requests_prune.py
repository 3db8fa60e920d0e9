"""Schedule the daily pruning of old Idempotency-Key records (editable in admin)."""

from django.db import migrations

NAME = "Forget old idempotency keys"


def forwards(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="41", hour="4", day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC"
    )
    PeriodicTask.objects.get_or_create(
        name=NAME,
        defaults={
            "task": "marketplace.tasks.orders.checkout_requests_prune",
            "crontab": crontab,
            "description": "Deletes Idempotency-Key records older than IDEMPOTENCY_KEY_HOURS (idempotent).",
        },
    )


def backwards(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0005_orders_periodic_tasks")]

    operations = [migrations.RunPython(forwards, backwards)]
