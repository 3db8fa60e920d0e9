"""Moderators judge products, reviews and stories by their photos too (a counterfeit is seen,
not read): the "Moderators" group also views product, review and story images in admin (the
inlines of the content they may view). Viewing only; uploads stay with their authors."""

from django.db import migrations

IMAGE_PERMISSIONS = [
    ("marketplace", "view_productimage"),
    ("marketplace", "view_reviewimage"),
    ("headline", "view_storyimage"),
]


def _permissions(apps):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():  # permissions exist only after a first migrate
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Permission = apps.get_model("auth", "Permission")
    return [
        Permission.objects.get(content_type__app_label=app, codename=codename) for app, codename in IMAGE_PERMISSIONS
    ]


def grant(apps, schema_editor):
    group = apps.get_model("auth", "Group").objects.filter(name="Moderators").first()
    if group is not None:
        group.permissions.add(*_permissions(apps))


def revoke(apps, schema_editor):
    group = apps.get_model("auth", "Group").objects.filter(name="Moderators").first()
    if group is not None:
        group.permissions.remove(*_permissions(apps))


class Migration(migrations.Migration):
    dependencies = [
        ("community", "0016_notification_kind_order_update"),
        ("marketplace", "0001_initial"),
        ("headline", "0001_initial"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
