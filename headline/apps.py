from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HeadlineConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "headline"
    verbose_name = _("Headline")

    def ready(self):
        from community.selectors.notifications import notification_subject_register
        from community.selectors.people import post_count_register
        from headline import receivers, slots  # noqa: F401  (receivers connect when imported)
        from headline.selectors.stories import story_count_public, story_list_public

        slots.register()
        post_count_register(story_count_public)  # public stories are posts: they make a blogger
        # "X posted a story" leaves the inbox when the story is hidden (community's inbox rule).
        notification_subject_register("story", story_list_public)
