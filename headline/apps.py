from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HeadlineConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "headline"
    verbose_name = _("Headline")

    def ready(self):
        from community.selectors.people import post_count_register
        from headline import receivers, slots  # noqa: F401  (receivers connect when imported)
        from headline.selectors.stories import story_count_public

        slots.register()
        post_count_register(story_count_public)  # public stories are posts: they make a blogger
