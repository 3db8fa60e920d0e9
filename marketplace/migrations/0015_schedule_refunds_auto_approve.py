"""Schedule the automatic approval of refund requests sellers did not answer (editable in admin)."""

from django.db import migrations

NAME = "Approve overdue refund requests"


def forwards(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    interval, _ = IntervalSchedule.objects.get_or_create(every=5, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=NAME,
        defaults={
            "task": "marketplace.tasks.orders.refunds_auto_approve",
            "interval": interval,
            "expire_seconds": 300,
            "description": "Approves refunds requested before shipping once ORDER_REFUND_AUTO_APPROVE_HOURS "
            "have passed without the seller; money, stock and vouchers go back once.",
        },
    )


def backwards(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0014_refund_requests")]

    operations = [migrations.RunPython(forwards, backwards)]
