"""Moderator tools: schedule topics of the day (cover cleaned by the image pipeline, featured
products), feature stories in their topic, and hide/restore stories and comments with the same
visibility vocabulary as Q&A — every change through the headline services, each in the admin
log. Counters are kept by services, so they are read-only here."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin import VisibilityActionsMixin
from core.errors import ApplicationError
from headline.models import Story, StoryComment, StoryImage, Topic
from headline.services import engagement, stories, topics
from marketplace.services.images import image_clean


class TopicForm(forms.ModelForm):
    """The cover goes through the marketplace's image cleaning here, so a bad file is a form
    error (and the stored file is the cleaned one)."""

    class Meta:
        model = Topic
        fields = ["date", "title", "prompt", "cover", "featured_products"]

    def clean_cover(self):
        value = self.cleaned_data.get("cover")
        self.cover_image = None
        if value and "cover" in self.changed_data:
            try:
                self.cover_image = image_clean(upload=value)
            except ApplicationError as err:
                raise forms.ValidationError(err.message) from err
        return value


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    form = TopicForm
    list_display = ["date", "title", "opened_at"]
    search_fields = ["title", "prompt"]
    date_hierarchy = "date"
    autocomplete_fields = ["featured_products"]
    readonly_fields = ["opened_at"]

    def save_model(self, request, obj, form, change):
        if form.cover_image is not None:
            obj.cover = form.initial.get("cover") or ""  # the cleaned file replaces the upload
        topics.topic_save(topic=obj, cover=form.cover_image)


class StoryImageInline(admin.TabularInline):
    model = StoryImage
    extra = 0
    fields = ["image", "width", "height", "position"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False  # uploads go through the validating image service (pages and API)


@admin.register(Story)
class StoryAdmin(VisibilityActionsMixin, admin.ModelAdmin):
    list_display = ["title", "author", "topic", "visibility", "featured", "like_count", "comment_count", "published_at"]
    list_filter = ["visibility", "featured", "published_at"]
    search_fields = ["title", "body", "author__username"]
    list_select_related = ["author", "topic"]
    readonly_fields = [
        "author",
        "topic",
        "title",
        "body",
        "published_at",
        "visibility",
        "visibility_changed_at",
        "visibility_changed_by",
        "visibility_reason",
        "featured",
        "like_count",
        "comment_count",
        "view_count",
        "click_count",
        "order_count",
    ]
    exclude = ["body_html"]
    date_hierarchy = "published_at"
    inlines = [StoryImageInline]
    actions = ["hide", "restore", "feature", "unfeature"]

    set_visibility = staticmethod(stories.story_set_visibility)

    def has_add_permission(self, request):
        return False  # people post stories on the site

    def _feature(self, request, queryset, featured: bool, verb: str):
        done = 0
        for story in queryset:
            if stories.story_set_featured(story=story, featured=featured):
                self.log_change(request, story, verb)  # stored untranslated, like Django's own
                done += 1
        message = ngettext("%(count)d story changed.", "%(count)d stories changed.", done) % {"count": done}
        self.message_user(request, message, messages.SUCCESS)

    @admin.action(description=_("Feature selected stories in their topic"), permissions=["change"])
    def feature(self, request, queryset):
        self._feature(request, queryset, True, "Featured in its topic")

    @admin.action(description=_("Stop featuring selected stories"), permissions=["change"])
    def unfeature(self, request, queryset):
        self._feature(request, queryset, False, "No longer featured")


@admin.register(StoryComment)
class StoryCommentAdmin(VisibilityActionsMixin, admin.ModelAdmin):
    list_display = ["body", "story", "author", "visibility", "created_at"]
    list_filter = ["visibility", "created_at"]
    search_fields = ["body", "author__username", "story__title"]
    list_select_related = ["story", "author"]
    readonly_fields = [
        "story",
        "author",
        "parent",
        "body",
        "visibility",
        "visibility_changed_at",
        "visibility_changed_by",
        "visibility_reason",
        "created_at",
    ]

    set_visibility = staticmethod(engagement.comment_set_visibility)

    def has_add_permission(self, request):
        return False
