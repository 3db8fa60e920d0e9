"""Moderator tools: hide/restore questions and answers (logged in the admin log), read-only
lists of notifications, follows, invitations and activity (their counters are kept by services,
so they are not edited here)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from community.admin_moderation import ModerateActionsMixin, ban_form_or_apply
from community.models import (
    Activity,
    Answer,
    InterestProfile,
    Notification,
    Question,
    QuestionInvitation,
    ShopFollow,
    User,
    UserFollow,
)
from community.services import moderation as moderation_services
from community.services import people as people_services
from community.services import qa as qa_services
from core.admin import VISIBILITY_READONLY, VisibilityActionsMixin


@admin.register(User)
class UserAdmin(VisibilityActionsMixin, ModerateActionsMixin, DjangoUserAdmin):
    """People. Hide/restore act on the public profile (the account still signs in); *ban* asks
    how long and why (community.services.moderation.ban_create)."""

    list_display = ["username", "display_name", "email", "visibility", "is_staff", "is_active", "date_joined"]
    list_filter = [*DjangoUserAdmin.list_filter, "visibility"]
    readonly_fields = VISIBILITY_READONLY
    set_visibility = staticmethod(people_services.user_set_visibility)
    search_fields = ["username", "display_name", "email"]
    fieldsets = [
        *DjangoUserAdmin.fieldsets,
        ("Jishi profile", {"fields": ["display_name", "avatar", "bio", "question_invites_opt_out"]}),
        ("Profile visibility", {"fields": VISIBILITY_READONLY}),
    ]
    actions = [*VisibilityActionsMixin.actions, "ban"]

    @admin.action(description=gettext_lazy("Ban the selected people…"), permissions=["moderate"])
    def ban(self, request, queryset):
        return ban_form_or_apply(
            self,
            request,
            queryset,
            title=_("Ban people"),
            apply=lambda days, reason: self._each(
                request,
                queryset,
                lambda user: moderation_services.ban_create(user=user, by=request.user, reason=reason, days=days),
                _("%(count)d people banned."),
            ),
        )


class ReadOnlyAdmin(admin.ModelAdmin):
    """A list moderators may look at; rows change only through the services."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ModeratedAdmin(VisibilityActionsMixin, admin.ModelAdmin):
    """Questions and answers: hidden and restored only through the Q&A services (core/admin.py)."""

    def has_add_permission(self, request):
        return False


class AnswerInline(admin.TabularInline):
    model = Answer
    fields = ["author", "text", "visibility", "helpful_count", "not_helpful_count", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Question)
class QuestionAdmin(ModeratedAdmin):
    list_display = ["text", "product", "author", "visibility", "answer_count", "created_at"]
    list_filter = ["visibility", "created_at"]
    search_fields = ["text", "author__username", "product__title"]
    list_select_related = ["product", "author"]
    readonly_fields = [
        "product",
        "author",
        "text",
        *VISIBILITY_READONLY,
        "accepted_answer",
        "answer_count",
        "created_at",
    ]
    date_hierarchy = "created_at"
    inlines = [AnswerInline]
    set_visibility = staticmethod(qa_services.question_set_visibility)


@admin.register(Answer)
class AnswerAdmin(ModeratedAdmin):
    list_display = ["text", "question", "author", "visibility", "helpful_count", "not_helpful_count", "created_at"]
    list_filter = ["visibility", "created_at"]
    search_fields = ["text", "author__username", "question__text"]
    list_select_related = ["question", "author"]
    readonly_fields = [
        "question",
        "author",
        "text",
        *VISIBILITY_READONLY,
        "helpful_count",
        "not_helpful_count",
        "created_at",
    ]
    date_hierarchy = "created_at"
    set_visibility = staticmethod(qa_services.answer_set_visibility)


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["recipient", "kind", "title", "created_at", "read_at", "emailed_at"]
    list_filter = ["kind", "created_at"]
    search_fields = ["recipient__username", "title", "dedupe_key"]
    list_select_related = ["recipient"]
    date_hierarchy = "created_at"


@admin.register(UserFollow)
class UserFollowAdmin(ReadOnlyAdmin):
    list_display = ["follower", "user", "created_at"]
    search_fields = ["follower__username", "user__username"]
    list_select_related = ["follower", "user"]


@admin.register(ShopFollow)
class ShopFollowAdmin(ReadOnlyAdmin):
    list_display = ["user", "shop", "created_at"]
    search_fields = ["user__username", "shop__name", "shop__slug"]
    list_select_related = ["user", "shop"]


@admin.register(QuestionInvitation)
class QuestionInvitationAdmin(ReadOnlyAdmin):
    list_display = ["invitee", "question", "created_at", "answered_at"]
    search_fields = ["invitee__username", "question__text"]
    list_select_related = ["invitee", "question"]


@admin.register(Activity)
class ActivityAdmin(ReadOnlyAdmin):
    list_display = ["user", "kind", "product", "category", "created_at"]
    list_filter = ["kind"]
    search_fields = ["user__username"]
    list_select_related = ["user", "product", "category"]


@admin.register(InterestProfile)
class InterestProfileAdmin(ReadOnlyAdmin):
    list_display = ["user", "category", "weight", "computed_at"]
    search_fields = ["user__username", "category__name"]
    list_select_related = ["user", "category"]
