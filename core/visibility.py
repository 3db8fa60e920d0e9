"""The one visibility vocabulary for user content (shops, products, reviews, questions, answers,
profiles, stories, comments, rooms, chat messages), and the columns that record who changed it,
when and why.

A content model inherits :class:`VisibilityFields`; its app offers one service per kind,
``<entity>_set_visibility(*, obj, status, by, reason="") -> bool`` (True if it changed), which every
edge (page, API, admin, the moderation queue, bans) calls. The service does its side effects
(counters, ratings, caches, ending a live room) and is built on :func:`visibility_update`, the
one conditional UPDATE that flips the status exactly once under concurrency.

Nothing is hard-deleted by moderation; an author's delete is ``REMOVED``. Public reads filter on
``visibility=Visibility.VISIBLE`` (each app's ``*_list_public`` / ``*_is_public`` selector).

Every change bumps :data:`VISIBILITY_TAG` after commit (``core/cache.py``): a cache entry that
depends on whether *some* content is public (the header's unread badge counts only notifications
about public content) names it and is rebuilt after any hide, restore or removal.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.cache import bump_on_commit

#: Cache tag bumped (after commit) by every visibility change of any content.
VISIBILITY_TAG = "core:v:visibility"


class Visibility(models.TextChoices):
    VISIBLE = "visible", _("Visible")
    HELD = "held", _("Held for review")
    HIDDEN = "hidden", _("Hidden by a moderator")
    REMOVED = "removed", _("Removed by its author")


#: Statuses a moderator sets or lifts (REMOVED belongs to the author).
MODERATED = (Visibility.HELD, Visibility.HIDDEN)


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


def visibility_update(*, obj, status: str, by, reason: str = "") -> str | None:
    """Flip ``obj``'s visibility to ``status`` with one conditional UPDATE on the status read, and
    record who (``by``, a user or None for the system), when and why. Returns the previous status
    if this call changed it, else None (already ``status``, gone, or a concurrent change won).
    ``obj.visibility`` (and the other columns) follow. Call inside the service's transaction;
    ``status`` must be a :class:`Visibility` value (the service validates it with its own code)."""
    model = type(obj)
    current = model.objects.filter(pk=obj.pk).values_list("visibility", flat=True).first()
    if current is None or current == status:
        if current is not None:
            obj.visibility = current
        return None
    now = timezone.now()
    by = by if by is not None and getattr(by, "is_authenticated", False) else None
    reason = (reason or "")[:500]
    changed = model.objects.filter(pk=obj.pk, visibility=current).update(
        visibility=status, visibility_changed_at=now, visibility_changed_by=by, visibility_reason=reason
    )
    if not changed:
        return None
    bump_on_commit(VISIBILITY_TAG, now=True)
    obj.visibility, obj.visibility_changed_at, obj.visibility_changed_by, obj.visibility_reason = (
        status,
        now,
        by,
        reason,
    )
    return current
