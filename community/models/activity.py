from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ActivityKind(models.TextChoices):
    VIEWED = "viewed", _("Viewed")
    BOUGHT = "bought", _("Bought")
    REVIEWED = "reviewed", _("Reviewed")
    ASKED = "asked", _("Asked a question")
    ANSWERED = "answered", _("Answered a question")
    VOTED = "voted", _("Voted on an answer")
    LIKED_STORY = "liked_story", _("Liked a story")
    WATCHED_LIVE = "watched_live", _("Watched a live room")


class Activity(models.Model):
    """Something a user did that tells us what they care about. Written only by
    ``community.services.activity.activity_record``. ``ref`` names the source row (e.g.
    ``"orderline:7"``) so recording the same event twice keeps one row."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="activities")
    kind = models.CharField(max_length=20, choices=ActivityKind.choices)
    product = models.ForeignKey(
        "marketplace.Product", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    category = models.ForeignKey(
        "marketplace.Category", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    ref = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "activities"
        indexes = [models.Index(fields=["user", "-created_at"], name="activity_user_recent")]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "ref"], condition=~models.Q(ref=""), name="activity_unique_ref"
            ),
        ]

    def __str__(self):
        return f"{self.user_id} {self.kind} {self.product_id or ''}".strip()


class InterestProfile(models.Model):
    """How much ``user`` cares about ``category``: decayed, weighted activity. Rebuilt from
    scratch by a Celery job (``interest_profile_rebuild``), never edited in place."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="interests")
    category = models.ForeignKey("marketplace.Category", on_delete=models.CASCADE, related_name="+")
    weight = models.FloatField()
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["user", "-weight"]
        constraints = [models.UniqueConstraint(fields=["user", "category"], name="interest_unique_category")]

    def __str__(self):
        return f"{self.user_id} × {self.category_id}: {self.weight:.2f}"
