"""An Idempotency-Key record keeps what a replay needs, not an HTTP answer: the placed orders are
linked already (``Order.checkout``); a refusal keeps its code, message, status and details."""

from django.db import migrations, models


def forwards(apps, schema_editor):
    CheckoutRequest = apps.get_model("marketplace", "CheckoutRequest")
    for record in CheckoutRequest.objects.filter(response_status__isnull=False).iterator():
        record.answered_at = record.created_at
        if record.response_status >= 400:
            error = dict((record.response_body or {}).get("error") or {})
            code, message = error.pop("code", "unavailable"), error.pop("message", "")
            record.refusal = {"code": code, "message": message, "status": record.response_status, "extra": error}
        record.save(update_fields=["answered_at", "refusal"])


def backwards(apps, schema_editor):
    CheckoutRequest = apps.get_model("marketplace", "CheckoutRequest")
    for record in CheckoutRequest.objects.filter(answered_at__isnull=False).iterator():
        if record.refusal:
            refusal = record.refusal
            record.response_status = refusal["status"]
            record.response_body = {
                "error": {"code": refusal["code"], "message": refusal["message"], **refusal.get("extra", {})}
            }
        else:  # the receipt is not rebuilt; a replay then answers with the order ids only
            record.response_status = 201
            record.response_body = {"orders": [{"id": pk} for pk in record.orders.values_list("pk", flat=True)]}
        record.save(update_fields=["response_status", "response_body"])


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0007_periodic_tasks_route_by_settings")]

    operations = [
        migrations.AddField(
            model_name="checkoutrequest", name="refusal", field=models.JSONField(blank=True, null=True)
        ),
        migrations.AddField(
            model_name="checkoutrequest", name="answered_at", field=models.DateTimeField(blank=True, null=True)
        ),
        migrations.RunPython(forwards, backwards),
        migrations.RemoveField(model_name="checkoutrequest", name="response_body"),
        migrations.RemoveField(model_name="checkoutrequest", name="response_status"),
    ]
