"""Admin plumbing shared by every app's ``admin.py``.

:class:`VisibilityActionsMixin` gives a ``ModelAdmin`` the moderators' "Hide selected …" and
"Restore selected …" actions. Each selected object goes through the admin's
:meth:`~VisibilityActionsMixin.set_visibility` hook, which calls the app's service (so counters,
ratings and caches stay right); every change is written to the admin log; the moderator is told
how many changed and how many already had that status.

The hook has the shape of the visibility service every content kind offers
(``<entity>_set_visibility(*, obj, status, by, reason) -> bool``, see ``core/visibility.py``), so
an admin for such a model needs one line::

    class StoryAdmin(VisibilityActionsMixin, admin.ModelAdmin):
        set_visibility = staticmethod(services.story_set_visibility)

Content its author removed (``Visibility.REMOVED``) is neither hidden nor restored by these
actions: a moderator does not bring back what its author deleted.
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import model_ngettext
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from core import moderation
from core.visibility import Visibility

#: The reason recorded for a change made with an admin action (the action form asks for none).
ADMIN_ACTION_REASON = "admin action"
#: The visibility columns, for ``readonly_fields`` of a content admin.
VISIBILITY_READONLY = ["visibility", "visibility_changed_at", "visibility_changed_by", "visibility_reason"]


class VisibilityActionsMixin:
    """Hide/restore actions for a ``ModelAdmin`` (put the mixin first in the bases)."""

    actions = ["hide", "restore"]

    def has_moderate_permission(self, request) -> bool:
        """The actions need ``community.moderate`` (core.moderation.can_moderate), not is_staff."""
        return moderation.can_moderate(request.user)

    def set_visibility(self, *, obj, status: Visibility, by, reason: str) -> bool:
        """Give ``obj`` ``status`` (``Visibility.HIDDEN`` or ``Visibility.VISIBLE``) through the
        app's service, as moderator ``by``; True if it changed."""
        raise NotImplementedError(f"{type(self).__name__} must define set_visibility()")

    def _apply(self, request, queryset, *, status: Visibility) -> None:
        changed = unchanged = 0
        for obj in queryset:
            before = getattr(obj, "visibility", "")
            if before == Visibility.REMOVED:
                unchanged += 1
                continue
            if self.set_visibility(obj=obj, status=status, by=request.user, reason=ADMIN_ACTION_REASON):
                moderation.audit(
                    actor=request.user,
                    action="hide" if status == Visibility.HIDDEN else "restore",
                    obj=obj,
                    before=before,
                    after=status,
                    reason=ADMIN_ACTION_REASON,
                )
                # Stored untranslated, like Django's own log messages.
                self.log_change(
                    request, obj, "Hidden by moderator" if status == Visibility.HIDDEN else "Restored by moderator"
                )
                changed += 1
            else:
                unchanged += 1
        if status == Visibility.HIDDEN:
            done = _("%(count)d %(items)s hidden.")
            same = ngettext("%(count)d was hidden already.", "%(count)d were hidden already.", unchanged)
        else:
            done = _("%(count)d %(items)s restored.")
            same = ngettext("%(count)d was not hidden.", "%(count)d were not hidden.", unchanged)
        message = done % {"count": changed, "items": model_ngettext(self.opts, changed)}
        if unchanged:
            message += " " + same % {"count": unchanged}
        self.message_user(request, message, messages.SUCCESS)

    @admin.action(description=gettext_lazy("Hide selected %(verbose_name_plural)s"), permissions=["moderate"])
    def hide(self, request, queryset):
        self._apply(request, queryset, status=Visibility.HIDDEN)

    @admin.action(description=gettext_lazy("Restore selected %(verbose_name_plural)s"), permissions=["moderate"])
    def restore(self, request, queryset):
        self._apply(request, queryset, status=Visibility.VISIBLE)
