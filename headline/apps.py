from django.apps import AppConfig


class HeadlineConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "headline"
