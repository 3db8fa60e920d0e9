from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    SALE_OPENING_SOON = "sale_opening_soon", _("A sale opens soon")
    SALE_OPENED = "sale_opened", _("A sale opened")
    QUESTION_INVITE = "question_invite", _("You can answer a question")
    QUESTION_ANSWERED = "question_answered", _("Your question was answered")
    ANSWER_ACCEPTED = "answer_accepted", _("Your answer helped")
    NEW_FOLLOWER = "new_follower", _("New follower")
    STORY_POSTED = "story_posted", _("Someone you follow posted a story")
    LIVE_STARTED = "live_started", _("A live room started")
    OTHER = "other", _("Other")


class Notification(models.Model):
    """One entry in a user's inbox. ``dedupe_key`` (e.g. ``"sale:12:opened"``) makes a job that
    runs twice notify once: (recipient, dedupe_key) is unique whenever the key is set."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=30, choices=NotificationKind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(max_length=2000, blank=True)
    url = models.CharField(max_length=500, blank=True)
    dedupe_key = models.CharField(max_length=120, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox"),
            # The unread badge counts these on every signed-in page (cached).
            models.Index(fields=["recipient"], condition=models.Q(read_at__isnull=True), name="notification_unread"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=~models.Q(dedupe_key=""),
                name="notification_unique_dedupe_key",
            ),
        ]

    def __str__(self):
        return f"{self.kind} for {self.recipient_id}: {self.title}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
