from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.visibility import Visibility, VisibilityFields


class Question(VisibilityFields):
    """A shopper's question about a product, answered by other people (past buyers first)."""

    product = models.ForeignKey("marketplace.Product", on_delete=models.CASCADE, related_name="questions")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="questions")
    text = models.TextField(max_length=1000)
    accepted_answer = models.ForeignKey(
        "community.Answer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Visible answers; kept by the answer services with F() updates (popularity in feeds).
    answer_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["product", "visibility", "-created_at"], name="question_product_recent"),
            # Feeds scan recent visible questions.
            models.Index(fields=["visibility", "-created_at"], name="question_status_recent"),
            models.Index(fields=["author", "-created_at"], name="question_author_recent"),
            # The popular feed: visible questions most answered first, walked until enough are recent.
            models.Index(
                fields=["-answer_count", "-created_at", "-id"],
                condition=models.Q(visibility=Visibility.VISIBLE),
                name="question_popular",
            ),
        ]

    def __str__(self):
        return self.text[:60]

    def get_absolute_url(self):
        return reverse("community:question", kwargs={"pk": self.pk})

    @property
    def is_open(self) -> bool:
        return self.accepted_answer_id is None


class Answer(VisibilityFields):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="answers")
    text = models.TextField(max_length=4000)
    # Kept by answer_vote with F() updates under the vote row's lock.
    helpful_count = models.PositiveIntegerField(default=0)
    not_helpful_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-helpful_count", "created_at", "id"]
        indexes = [
            models.Index(fields=["question", "visibility"], name="answer_question_status"),
            models.Index(fields=["author", "-created_at"], name="answer_author_recent"),
        ]
        constraints = [
            # One answer per person per question: they edit it rather than post a second.
            models.UniqueConstraint(fields=["question", "author"], name="answer_one_per_author"),
        ]

    def __str__(self):
        return self.text[:60]

    def get_absolute_url(self):
        return f"{self.question.get_absolute_url()}#answer-{self.pk}"


class AnswerVote(models.Model):
    """Was this answer helpful (+1) or not (-1)? One per user per answer; changeable."""

    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="answer_votes")
    value = models.SmallIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["answer", "user"], name="answervote_one_per_user"),
            models.CheckConstraint(condition=models.Q(value__in=[1, -1]), name="answervote_plus_or_minus_one"),
        ]

    def __str__(self):
        return f"{self.user_id} {'+' if self.value > 0 else '-'}1 on {self.answer_id}"


class QuestionInvitation(models.Model):
    """A past buyer asked (by the routing job) to answer a question; open until they answer."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="invitations")
    invitee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="question_invitations")
    created_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # "Questions you can answer" (open ones) and the weekly cap (recent ones) per invitee.
            models.Index(fields=["invitee", "-created_at"], name="invitation_invitee_recent"),
            models.Index(
                fields=["invitee", "-created_at"],
                condition=models.Q(answered_at__isnull=True),
                name="invitation_invitee_open",
            ),
        ]
        constraints = [models.UniqueConstraint(fields=["question", "invitee"], name="invitation_once_per_question")]

    def __str__(self):
        return f"{self.invitee_id} invited to question {self.question_id}"


class FeedReason(models.TextChoices):
    BOUGHT = "bought", _("You bought this")
    INTEREST = "interest", _("In a category you follow")
    POPULAR = "popular", _("Popular")


class QuestionFeedEntry(models.Model):
    """One question in a user's precomputed "for you" feed: written only by
    ``community.services.feeds.question_feed_rebuild``, which replaces a user's rows at once."""

    # No index of its own: both the feed index and the unique constraint start with the user.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="question_feed", db_index=False
    )
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="feed_entries")
    score = models.FloatField()
    reason = models.CharField(max_length=10, choices=FeedReason.choices)
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "question feed entries"
        indexes = [
            # The feed read: one user's rows in feed order, straight off the index.
            models.Index(fields=["user", "-score", "-question"], name="questionfeed_user_score"),
        ]
        constraints = [models.UniqueConstraint(fields=["user", "question"], name="questionfeed_once_per_user")]

    def __str__(self):
        return f"{self.user_id} ← question {self.question_id} ({self.score:.2f}, {self.reason})"
