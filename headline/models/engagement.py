from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.visibility import VisibilityFields


class StoryLike(models.Model):
    """One person likes one story (at most once: the unique constraint is the invariant)."""

    story = models.ForeignKey("headline.Story", on_delete=models.CASCADE, related_name="likes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="story_likes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["user", "-created_at"], name="storylike_user_recent")]
        constraints = [models.UniqueConstraint(fields=["story", "user"], name="storylike_once")]

    def __str__(self):
        return f"{self.user_id} likes story {self.story_id}"


class StoryComment(VisibilityFields):
    """A comment on a story, or a reply to a top-level comment (one level deep: a reply's
    ``parent`` is always a top-level comment, which the service enforces)."""

    story = models.ForeignKey("headline.Story", on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="story_comments")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies")
    body = models.TextField(_("comment"), max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("story comment")
        verbose_name_plural = _("story comments")
        indexes = [models.Index(fields=["story", "created_at"], name="storycomment_story")]

    def __str__(self):
        return self.body[:60]

    def get_absolute_url(self):
        return f"{self.story.get_absolute_url()}#comment-{self.pk}"


class StoryClick(models.Model):
    """A click on a story's product or shop card (through the counting redirect). Kept for
    signed-in people so an order they place soon after can be attributed to the story."""

    story = models.ForeignKey("headline.Story", on_delete=models.CASCADE, related_name="clicks")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="story_clicks"
    )
    product = models.ForeignKey(
        "marketplace.Product", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    shop = models.ForeignKey("marketplace.Shop", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        indexes = [
            # Attribution: this buyer's clicks in the window before an order.
            models.Index(fields=["user", "-created_at"], name="storyclick_user_recent"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(product__isnull=False) | models.Q(shop__isnull=False), name="storyclick_has_target"
            ),
        ]

    def __str__(self):
        return f"click on story {self.story_id} by {self.user_id or 'anonymous'}"


class StoryOrder(models.Model):
    """An order that followed a click on a story's card within the attribution window. One
    story per order (the last card clicked wins); removed again if the order is cancelled."""

    story = models.ForeignKey("headline.Story", on_delete=models.CASCADE, related_name="attributed_orders")
    order = models.OneToOneField("marketplace.Order", on_delete=models.CASCADE, related_name="+")
    click = models.ForeignKey(StoryClick, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["story"], name="storyorder_story")]

    def __str__(self):
        return f"order {self.order_id} from story {self.story_id}"
