"""Moderators' admin: the reports queue (cases ordered by report count and age, previewing the
content, with hide / hide and warn / dismiss / ban the author), blocked terms, bans, the
read-only audit trail, and the dashboard. Every action calls community.services.moderation
(which writes the audit trail) and declares the ``moderate`` permission it needs."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from community import moderation as registry
from community.models import AuditEntry, Ban, BlockedTerm, Case, CaseStatus, Report
from community.selectors import moderation as selectors
from community.services import moderation as services
from core.errors import ApplicationError
from core.moderation import can_moderate


class ModerateActionsMixin:
    def has_moderate_permission(self, request) -> bool:
        return can_moderate(request.user)

    def _each(self, request, queryset, action, done: str) -> None:
        count = 0
        for obj in queryset:
            try:
                count += bool(action(obj))
            except ApplicationError as error:
                self.message_user(request, error.message, messages.ERROR)
        self.message_user(request, done % {"count": count}, messages.SUCCESS)


class BanForm(forms.Form):
    """The intermediate page of a ban action: how long, and why (the banned person is told)."""

    duration = forms.ChoiceField(
        label=gettext_lazy("Ban for"),
        choices=[
            ("1", gettext_lazy("1 day")),
            ("7", gettext_lazy("7 days")),
            ("30", gettext_lazy("30 days")),
            ("permanent", gettext_lazy("Permanently")),
        ],
        initial="7",
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Recorded in the audit trail. Empty: the reasons of the reports."),
    )

    @property
    def days(self) -> int | None:
        """The ban's length in days; None: permanent."""
        duration = self.cleaned_data["duration"]
        return None if duration == "permanent" else int(duration)


def ban_form_or_apply(modeladmin, request, queryset, *, title: str, apply) -> TemplateResponse | None:
    """An admin action's intermediate page: show :class:`BanForm` for the selected rows; once it
    is submitted and valid, call ``apply(days=, reason=)`` (which bans through the services)."""
    form = BanForm(request.POST if "apply" in request.POST else None)
    if form.is_bound and form.is_valid():
        apply(days=form.days, reason=form.cleaned_data["reason"].strip())
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "opts": modeladmin.model._meta,
        "form": form,
        "queryset": queryset,
        "action": request.POST.get("action", ""),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/community/ban_form.html", context)


class ReportInline(admin.TabularInline):
    model = Report
    fields = ["reporter", "reason", "text", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(ModerateActionsMixin, admin.ModelAdmin):
    """The queue: open cases, most reported first, then oldest."""

    list_display = ["content", "kind", "report_count", "held", "opened_at", "author", "status", "resolution"]
    list_display_links = None
    list_filter = ["status", "kind", "held"]
    list_select_related = ["author"]
    search_fields = ["preview", "author__username"]
    ordering = ["-report_count", "opened_at", "id"]
    readonly_fields = [
        "kind",
        "object_id",
        "author",
        "preview",
        "status",
        "report_count",
        "held",
        "opened_at",
        "resolution",
        "resolved_by",
        "resolved_at",
    ]
    inlines = [ReportInline]
    actions = ["hide", "hide_and_warn", "dismiss", "ban_author"]

    def get_queryset(self, request):
        return selectors.case_list_for_queue()

    def changelist_view(self, request, extra_context=None):
        # The queue opens on the open cases; "All" in the filter shows history.
        if "status__exact" not in request.GET and "e" not in request.GET and not request.GET.get("all"):
            query = request.GET.copy()
            query["status__exact"] = CaseStatus.OPEN
            request.GET = query
            request.META["QUERY_STRING"] = query.urlencode()
        return super().changelist_view(request, extra_context)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("Content"))
    def content(self, case):
        kind = registry.kind_named(case.kind)
        label = kind.label if kind else case.kind
        return format_html(
            '<a href="{}">{}</a><br><small>{}</small>',
            reverse("admin:community_case_change", args=[case.pk]),
            case.preview[:160] or "—",
            label,
        )

    @admin.action(description=gettext_lazy("Hide the reported content"), permissions=["moderate"])
    def hide(self, request, queryset):
        self._each(
            request, queryset, lambda case: services.case_hide(case=case, by=request.user), _("%(count)d hidden.")
        )

    @admin.action(description=gettext_lazy("Hide and warn the author"), permissions=["moderate"])
    def hide_and_warn(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda case: services.case_hide(case=case, by=request.user, warn=True),
            _("%(count)d hidden, authors warned."),
        )

    @admin.action(description=gettext_lazy("Dismiss the reports"), permissions=["moderate"])
    def dismiss(self, request, queryset):
        self._each(
            request, queryset, lambda case: services.case_dismiss(case=case, by=request.user), _("%(count)d dismissed.")
        )

    @admin.action(description=gettext_lazy("Hide and ban the author…"), permissions=["moderate"])
    def ban_author(self, request, queryset):
        """Asks how long (1, 7 or 30 days, or permanently) and why, then bans."""
        return ban_form_or_apply(
            self,
            request,
            queryset,
            title=_("Hide the content and ban its author"),
            apply=lambda days, reason: self._each(
                request,
                queryset,
                lambda case: services.case_ban_author(case=case, by=request.user, reason=reason, days=days),
                _("%(count)d authors banned."),
            ),
        )

    def get_urls(self):
        dashboard = path("dashboard/", self.admin_site.admin_view(self.dashboard_view), name="moderation_dashboard")
        return [dashboard, *super().get_urls()]

    def dashboard_view(self, request):
        if not can_moderate(request.user):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        context = {**self.admin_site.each_context(request), "title": _("Moderation dashboard")}
        context.update(selectors.moderation_dashboard())
        return TemplateResponse(request, "admin/community/moderation_dashboard.html", context)


@admin.register(BlockedTerm)
class BlockedTermAdmin(admin.ModelAdmin):
    """Blocked words and patterns; saved and deleted through the term services (validated with
    RE2, audited)."""

    list_display = ["pattern", "match", "action", "active", "created_by", "created_at"]
    list_filter = ["match", "action", "active"]
    search_fields = ["pattern"]
    fields = ["pattern", "match", "action", "active"]

    def save_model(self, request, obj, form, change):
        try:
            if change:
                fresh = BlockedTerm.objects.get(pk=obj.pk)
                services.term_update(
                    term=fresh,
                    by=request.user,
                    pattern=obj.pattern,
                    match=obj.match,
                    action=obj.action,
                    active=obj.active,
                )
            else:
                created = services.term_create(pattern=obj.pattern, match=obj.match, action=obj.action, by=request.user)
                obj.pk = created.pk
        except ApplicationError as error:
            self.message_user(request, error.message, messages.ERROR)

    def delete_model(self, request, obj):
        services.term_delete(term=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for term in queryset:
            services.term_delete(term=term, by=request.user)


@admin.register(Ban)
class BanAdmin(ModerateActionsMixin, admin.ModelAdmin):
    list_display = ["user", "by", "reason", "created_at", "expires_at", "lifted_at"]
    list_filter = ["lifted_at"]
    search_fields = ["user__username", "reason"]
    list_select_related = ["user", "by"]
    readonly_fields = ["user", "by", "reason", "created_at", "expires_at", "lifted_at", "lifted_by"]
    actions = ["lift"]

    def has_add_permission(self, request):
        return False  # bans come from the queue ("ban the author") or the ban service

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=gettext_lazy("Lift the selected bans (restores what they hid)"), permissions=["moderate"])
    def lift(self, request, queryset):
        self._each(request, queryset, lambda ban: services.ban_lift(ban=ban, by=request.user), _("%(count)d lifted."))


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only for everyone (superusers too); the database refuses changes as well."""

    list_display = [
        "created_at",
        "actor_name",
        "action",
        "kind",
        "object_id",
        "object_repr",
        "before",
        "after",
        "reason",
    ]
    list_filter = ["action", "kind"]
    search_fields = ["actor_name", "object_repr", "reason"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
