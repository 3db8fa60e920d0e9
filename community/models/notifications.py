from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

#: The body of a notification that quotes what someone wrote: ``params["text"]``, never translated.
NOTIFICATION_QUOTE = "%(text)s"


class NotificationKind(models.TextChoices):
    SALE_OPENING_SOON = "sale_opening_soon", _("A sale opens soon")
    SALE_OPENED = "sale_opened", _("A sale opened")
    QUESTION_INVITE = "question_invite", _("You can answer a question")
    QUESTION_ANSWERED = "question_answered", _("Your question was answered")
    ANSWER_ACCEPTED = "answer_accepted", _("Your answer helped")
    NEW_FOLLOWER = "new_follower", _("New follower")
    STORY_POSTED = "story_posted", _("Someone you follow posted a story")
    LIVE_STARTED = "live_started", _("A live room started")
    ORDER_UPDATE = "order_update", _("An order needs you or changed")
    OTHER = "other", _("Other")


class Notification(models.Model):
    """One entry in a user's inbox. ``dedupe_key`` (e.g. ``"sale:12:opened"``) makes a job that
    runs twice notify once: (recipient, dedupe_key) is unique whenever the key is set.

    Stored language-neutrally: ``title`` and ``body`` are English source strings (msgids, with
    ``%(name)s`` placeholders) and ``params`` their values; :attr:`shown_title` / :attr:`shown_body`
    translate them into the active language when shown (the inbox in the reader's language, an
    e-mail in the recipient's). ``subject_type`` / ``subject_id`` name the content it is about
    (``"question"``, 12): the inbox hides it once that content is no longer public
    (``community.selectors.notifications``)."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=30, choices=NotificationKind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(max_length=2000, blank=True)
    params = models.JSONField(default=dict, blank=True)
    url = models.CharField(max_length=500, blank=True)
    subject_type = models.CharField(max_length=30, blank=True)
    subject_id = models.PositiveBigIntegerField(null=True, blank=True)
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

    @property
    def shown_title(self) -> str:
        return _shown(self.title, self.params)

    @property
    def shown_body(self) -> str:
        return _shown(self.body, self.params)


def _shown(text: str, params: dict) -> str:
    """``text`` (a msgid) in the active language with ``params`` filled in. Rows written before
    notifications were stored language-neutrally have no params and show as stored."""
    if not params or not text:
        return text
    try:
        return gettext(text) % params
    except (KeyError, TypeError, ValueError):  # a translation that lost a placeholder: the source
        return text % params
