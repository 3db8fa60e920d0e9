from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HeadlineConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "headline"
    verbose_name = _("Headline")

    def ready(self):
        from headline import receivers  # noqa: F401  (connects the domain-signal receivers)
