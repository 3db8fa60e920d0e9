"""Moderation rows: reports grouped into cases (the queue), blocked terms, bans (with exactly what
each hid) and the append-only audit trail. Content itself is not here: every kind of content has
its own ``visibility`` (core/visibility.py) and is reached through the registry
(community/moderation.py) by ``kind`` + ``object_id``."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReportReason(models.TextChoices):
    SPAM = "spam", _("Spam")
    FAKE = "fake", _("Fake or misleading")
    OFFENSIVE = "offensive", _("Offensive")
    COUNTERFEIT = "counterfeit", _("Counterfeit")
    OTHER = "other", _("Other")


class CaseStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class CaseResolution(models.TextChoices):
    HIDDEN = "hidden", _("Hidden")
    DISMISSED = "dismissed", _("Dismissed")
    WARNED = "warned", _("Hidden and author warned")
    BANNED = "banned", _("Author banned")


class Case(models.Model):
    """All the open reports about one item (``kind`` + ``object_id``), the unit of the queue.
    At most one open case per item (constraint); a closed case stays as history and the next
    report opens a new one. ``report_count`` is kept by the report service (F() update)."""

    kind = models.CharField(max_length=30)
    object_id = models.BigIntegerField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="moderation_cases"
    )
    preview = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    report_count = models.PositiveIntegerField(default=0)
    held = models.BooleanField(default=False, help_text=_("Held automatically after enough reports."))
    opened_at = models.DateTimeField(auto_now_add=True)
    resolution = models.CharField(max_length=10, choices=CaseResolution.choices, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("report case")
        ordering = ["-report_count", "opened_at", "id"]
        permissions = [("moderate", "Can moderate user content (queue, hide, restore, bans)")]
        indexes = [
            # The queue: open cases, most reported first, oldest first.
            models.Index(fields=["status", "-report_count", "opened_at"], name="case_queue"),
            models.Index(fields=["kind", "object_id"], name="case_item"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_id"], condition=models.Q(status="open"), name="case_one_open_per_item"
            ),
        ]

    def __str__(self):
        return f"{self.kind} {self.object_id} ({self.report_count})"


class Report(models.Model):
    """One person's report of one item; one per person per open case (constraint)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports")
    reason = models.CharField(max_length=12, choices=ReportReason.choices)
    text = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["case", "reporter"], name="report_one_per_reporter")]
        indexes = [models.Index(fields=["reporter", "-created_at"], name="report_reporter_recent")]

    def __str__(self):
        return f"{self.reporter_id} reported {self.case_id}: {self.reason}"


class TermMatch(models.TextChoices):
    WORD = "word", _("Whole word")
    SUBSTRING = "substring", _("Anywhere in the text")
    REGEX = "regex", _("Regular expression (RE2)")


class TermAction(models.TextChoices):
    REJECT = "reject", _("Reject the text")
    HOLD = "hold", _("Hold it for review")


class BlockedTerm(models.Model):
    """A word or pattern moderators block (Chinese or English). Matched by RE2 (linear time:
    a hostile pattern cannot hang a request); written only by the term services."""

    pattern = models.CharField(max_length=200)
    match = models.CharField(max_length=10, choices=TermMatch.choices, default=TermMatch.WORD)
    action = models.CharField(max_length=10, choices=TermAction.choices, default=TermAction.REJECT)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pattern", "id"]
        constraints = [models.UniqueConstraint(fields=["pattern", "match"], name="blockedterm_unique")]

    def __str__(self):
        return self.pattern


class Ban(models.Model):
    """A user banned until ``expires_at`` (None: permanently) or until lifted. ``BanItem`` rows
    record exactly what the ban hid, so lifting it restores that and nothing else."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bans")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One ban in force per person.
            models.UniqueConstraint(fields=["user"], condition=models.Q(lifted_at__isnull=True), name="ban_one_active"),
        ]
        indexes = [models.Index(fields=["expires_at"], condition=models.Q(lifted_at__isnull=True), name="ban_expiry")]

    def __str__(self):
        return f"ban of {self.user_id}"


class BanItem(models.Model):
    """One item a ban hid (and the status it had), restored when the ban is lifted."""

    ban = models.ForeignKey(Ban, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=30)
    object_id = models.BigIntegerField()
    before = models.CharField(max_length=10)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ban", "kind", "object_id"], name="banitem_unique")]

    def __str__(self):
        return f"{self.kind} {self.object_id}"


class AuditAction(models.TextChoices):
    HIDE = "hide", _("Hide")
    RESTORE = "restore", _("Restore")
    HOLD = "hold", _("Hold")
    DISMISS = "dismiss", _("Dismiss reports")
    WARN = "warn", _("Warn the author")
    BAN = "ban", _("Ban")
    UNBAN = "unban", _("Unban")
    TERM_ADD = "term_add", _("Add a blocked term")
    TERM_CHANGE = "term_change", _("Change a blocked term")
    TERM_DELETE = "term_delete", _("Delete a blocked term")


class AuditEntry(models.Model):
    """One moderation action: who, what, on which object, why, when, status before and after.
    Append-only: written by ``audit_record`` only; admin is read-only and a PostgreSQL trigger
    refuses UPDATE and DELETE (migration 0012)."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=12, choices=AuditAction.choices)
    kind = models.CharField(max_length=30)
    object_id = models.BigIntegerField(null=True, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    before = models.CharField(max_length=10, blank=True)
    after = models.CharField(max_length=10, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at"], name="audit_recent"),
            models.Index(fields=["actor", "-created_at"], name="audit_actor_recent"),
            models.Index(fields=["kind", "object_id"], name="audit_item"),
        ]

    def __str__(self):
        return f"{self.actor_name or 'system'} {self.action} {self.kind} {self.object_id}"
