"""Schedule the hourly auto-completion of delivered orders (django-celery-beat; editable in admin).
Expiry of unpaid orders is scheduled by 0004 (the sale clock's schedules)."""

from django.db import migrations

NAME = "Complete delivered orders"


def forwards(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    hourly, _ = IntervalSchedule.objects.get_or_create(every=1, period="hours")
    PeriodicTask.objects.get_or_create(
        name=NAME,
        defaults={
            "task": "marketplace.tasks.orders.orders_complete_overdue",
            "interval": hourly,
            "expire_seconds": 3600,
            "description": "Completes orders delivered more than ORDER_AUTO_COMPLETE_DAYS ago (idempotent).",
        },
    )


def backwards(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0004_sales_periodic_tasks")]

    operations = [migrations.RunPython(forwards, backwards)]
