"""Moderator tools: rooms (force-end with a message to viewers, hide/restore), chat messages
(search, remove live from every screen, restore), shows. Rows change only through services."""

from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from core.admin import VisibilityActionsMixin
from livestream.models import ChatMessage, Room, RoomProduct, Show
from livestream.services import live, rooms


class ReadOnlyFieldsMixin:
    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]


class ForceEndForm(forms.Form):
    message = forms.CharField(
        label=_("Message to viewers"), max_length=300, initial=_("This room was ended by a moderator.")
    )


class ShelfInline(admin.TabularInline):
    model = RoomProduct
    extra = 0
    fields = ["product", "position", "yea", "nay"]
    readonly_fields = ["product", "yea", "nay"]
    can_delete = False


@admin.register(Room)
class RoomAdmin(VisibilityActionsMixin, ReadOnlyFieldsMixin, admin.ModelAdmin):
    list_display = ["id", "title", "host", "status", "visibility", "scheduled_at", "peak_viewers", "hearts"]
    list_filter = ["status", "visibility"]
    search_fields = ["title", "host__username"]
    list_select_related = ["host"]
    inlines = [ShelfInline]
    actions = ["force_end", "hide", "restore"]
    set_visibility = staticmethod(rooms.room_set_visibility)

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Force-end selected rooms (with a message to viewers)"), permissions=["moderate"])
    def force_end(self, request, queryset):
        if "apply" in request.POST:
            form = ForceEndForm(request.POST)
            if form.is_valid():
                ended = 0
                for room in queryset:
                    if rooms.room_force_end(room=room, by=request.user, message=form.cleaned_data["message"]):
                        ended += 1
                        self.log_change(request, room, f"Force-ended by moderator: {form.cleaned_data['message']}")
                self.message_user(request, _("%(n)d room(s) ended.") % {"n": ended}, messages.SUCCESS)
                return redirect(request.get_full_path())
        else:
            form = ForceEndForm()
        return render(
            request,
            "livestream/admin_force_end.html",
            {**self.admin_site.each_context(request), "form": form, "rooms": queryset, "title": _("Force-end rooms")},
        )


@admin.register(ChatMessage)
class ChatMessageAdmin(VisibilityActionsMixin, ReadOnlyFieldsMixin, admin.ModelAdmin):
    list_display = ["id", "room", "user", "text", "visibility", "created_at"]
    list_filter = ["visibility"]
    search_fields = ["text", "user__username", "room__title"]
    list_select_related = ["room", "user"]
    actions = ["hide", "restore"]
    set_visibility = staticmethod(live.chat_message_set_visibility)

    def has_add_permission(self, request):
        return False


@admin.register(Show)
class ShowAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "host", "created_at"]
    search_fields = ["title", "host__username"]
    prepopulated_fields = {"slug": ["title"]}
    raw_id_fields = ["host"]
