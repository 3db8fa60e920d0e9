from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class FeedReason(models.TextChoices):
    """Why a story is in someone's "for you" feed (shown on its card)."""

    BOUGHT = "bought", _("Because you bought this kind of thing")
    INTEREST = "interest", _("Because you like this kind of thing")
    FOLLOWING = "following", _("From someone you follow")
    SHOP = "shop", _("From a shop you follow")
    TOPIC = "topic", _("Popular in today's topic")
    TRENDING = "trending", _("Trending")


class StoryFeedEntry(models.Model):
    """One story in a user's precomputed "for you" feed. Written only by
    ``headline.services.feeds.story_feed_rebuild``, which replaces a user's rows at once.
    ``reason_category`` names the category behind a bought/interest reason."""

    # No index of its own: the feed index and the unique constraint both start with the user.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="story_feed", db_index=False
    )
    story = models.ForeignKey("headline.Story", on_delete=models.CASCADE, related_name="feed_entries")
    score = models.FloatField()
    reason = models.CharField(max_length=10, choices=FeedReason.choices)
    # No index: nothing looks entries up by category (saves an index write per entry).
    reason_category = models.ForeignKey(
        "marketplace.Category", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "story feed entries"
        indexes = [models.Index(fields=["user", "-score", "-story"], name="storyfeed_user_score")]
        constraints = [models.UniqueConstraint(fields=["user", "story"], name="storyfeed_once_per_user")]

    def __str__(self):
        return f"{self.user_id} ← story {self.story_id} ({self.score:.2f}, {self.reason})"
