from django.apps import AppConfig


class CommunityConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "community"
    verbose_name = "Community"

    def ready(self):
        import community.receivers  # noqa: F401  (importing it connects the domain-signal receivers)
        from community import slots

        slots.register()  # the product page's Q&A summary, the shop page's follow button
