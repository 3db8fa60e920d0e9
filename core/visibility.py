"""The one visibility vocabulary for user content (stories, comments, questions, answers,
reviews, rooms, chat messages, ...), and the columns that record who changed it, when and why.

A content model inherits :class:`VisibilityFields`; its app offers one service per kind,
``<entity>_set_visibility(*, obj, status, by, reason)``, which every edge (page, API, admin,
moderation queue) calls. Nothing is hard-deleted by moderation; an author's delete is
``REMOVED``.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Visibility(models.TextChoices):
    VISIBLE = "visible", _("Visible")
    HELD = "held", _("Held for review")
    HIDDEN = "hidden", _("Hidden by a moderator")
    REMOVED = "removed", _("Removed by its author")


class VisibilityFields(models.Model):
    """Abstract: the visibility status of one piece of content, with who set it, when and why."""

    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.VISIBLE)
    visibility_changed_at = models.DateTimeField(null=True, blank=True)
    visibility_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    visibility_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        abstract = True

    @property
    def is_visible(self) -> bool:
        return self.visibility == Visibility.VISIBLE
