from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class HeadlineConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "headline"
    verbose_name = _("Headline")

    def ready(self):
        from community import moderation
        from community.selectors.people import post_count_register
        from headline import receivers, slots  # noqa: F401  (receivers connect when imported)
        from headline.models import Story, StoryComment
        from headline.selectors.stories import comment_list_public, story_count_public, story_list_public
        from headline.services.engagement import comment_set_visibility
        from headline.services.stories import story_set_visibility

        slots.register()
        post_count_register(story_count_public)  # public stories are posts: they make a blogger
        # Stories and comments in community's moderation registry; "X posted a story" leaves the
        # inbox when the story is hidden (notification_subject).
        moderation.register(
            name="story",
            model=Story,
            set_visibility=story_set_visibility,
            public=story_list_public,
            author_field="author",
            preview=lambda story: f"{story.title}: {story.body[:200]}",
            label=pgettext_lazy("content kind", "story"),
            text_fields=("title", "body"),
            notification_subject=True,
        )
        moderation.register(
            name="comment",
            model=StoryComment,
            set_visibility=comment_set_visibility,
            public=comment_list_public,
            author_field="author",
            preview=lambda comment: comment.body[:240],
            label=pgettext_lazy("content kind", "comment"),
            text_fields=("body",),
        )
