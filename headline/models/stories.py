from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.visibility import Visibility, VisibilityFields


class Topic(models.Model):
    """A topic of the day: moderators schedule one per date; it leads the home page on its day
    and stays browsable afterwards. ``opened_at`` is set once by the topic clock when its day
    starts (the side effects of opening happen exactly once); whether a topic is *today's* is
    derived from ``date`` at read time."""

    date = models.DateField(_("date"), unique=True)
    title = models.CharField(_("title"), max_length=120)
    prompt = models.TextField(_("prompt"), max_length=1000, help_text=_("What people are invited to tell."))
    cover = models.ImageField(_("cover image"), upload_to="topics/%Y/%m/", blank=True)
    featured_products = models.ManyToManyField(
        "marketplace.Product", blank=True, related_name="+", verbose_name=_("featured products")
    )
    opened_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date"]
        verbose_name = _("topic of the day")
        verbose_name_plural = _("topics of the day")

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.title}"

    def get_absolute_url(self):
        return reverse("headline:topic", kwargs={"day": self.date.isoformat()})


class Story(VisibilityFields):
    """A story someone tells about shops and products. A draft has no ``published_at``; the
    author's delete sets ``visibility`` to REMOVED (nothing is hard-deleted). Who may see a
    story is decided in one place: ``headline.selectors.stories.story_list_public``.

    The counters are kept by the engagement services with conditional ``F()`` updates in the
    transaction that writes the like/comment/click/order row, so they are exact and showing
    them costs nothing."""

    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="stories")
    topic = models.ForeignKey(Topic, null=True, blank=True, on_delete=models.SET_NULL, related_name="stories")
    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("body"), max_length=20000, help_text=_("Markdown."))
    # The body rendered and sanitised when it was saved (headline.markdown.render_markdown).
    body_html = models.TextField(blank=True, editable=False)
    published_at = models.DateTimeField(null=True, blank=True)
    featured = models.BooleanField(_("featured in its topic"), default=False)
    # What the story is mainly about, kept by the mention service (the first mentioned product's
    # category; the first mentioned shop, else that product's shop): "for you" scores on these
    # columns instead of joining the mentions for every candidate.
    category = models.ForeignKey(
        "marketplace.Category", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    shop = models.ForeignKey(
        "marketplace.Shop", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    like_count = models.PositiveIntegerField(default=0)
    comment_count = models.PositiveIntegerField(default=0)
    view_count = models.PositiveIntegerField(default=0)
    click_count = models.PositiveIntegerField(default=0)
    order_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("story")
        verbose_name_plural = _("stories")
        indexes = [
            # Public stories newest first: the "for you" candidate pool, trending and the
            # following feed walk this (a partial index: drafts and hidden stories are not in it).
            models.Index(
                fields=["-published_at", "-id"],
                condition=models.Q(visibility=Visibility.VISIBLE, published_at__isnull=False),
                name="story_public_recent",
            ),
            # A person's stories (profile, following feed by author, "for you" followed authors).
            models.Index(fields=["author", "-published_at"], name="story_author_recent"),
            # A topic's stories, newest or most liked first.
            models.Index(fields=["topic", "-published_at"], name="story_topic_recent"),
            models.Index(fields=["topic", "-like_count", "-id"], name="story_topic_liked"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("headline:story", kwargs={"pk": self.pk})

    @property
    def is_draft(self) -> bool:
        return self.published_at is None


class StoryImage(models.Model):
    """An image of a story: the cleaned original (marketplace's ``image_clean``) and WebP display
    sizes filled in by a Celery task; pages show the original until they exist."""

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="images")
    image = models.ImageField(upload_to="stories/%Y/%m/")
    image_320 = models.ImageField(upload_to="stories/%Y/%m/", blank=True)
    image_960 = models.ImageField(upload_to="stories/%Y/%m/", blank=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self):
        return f"Image {self.pk} of story {self.story_id}"

    @property
    def thumb_url(self) -> str:
        return (self.image_320 or self.image).url

    @property
    def display_url(self) -> str:
        return (self.image_960 or self.image).url


class StoryProduct(models.Model):
    """A product a story mentions: shown as a shoppable card (live price, buy button)."""

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="product_mentions")
    product = models.ForeignKey("marketplace.Product", on_delete=models.CASCADE, related_name="story_mentions")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["story", "product"], name="storyproduct_once")]

    def __str__(self):
        return f"story {self.story_id} mentions product {self.product_id}"


class StoryShop(models.Model):
    """A shop a story mentions: shown as a card with a visit button."""

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="shop_mentions")
    shop = models.ForeignKey("marketplace.Shop", on_delete=models.CASCADE, related_name="story_mentions")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["story", "shop"], name="storyshop_once")]

    def __str__(self):
        return f"story {self.story_id} mentions shop {self.shop_id}"
