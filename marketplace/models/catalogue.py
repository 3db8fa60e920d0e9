from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.visibility import VisibilityFields


class Shop(VisibilityFields):
    """A seller's shop. Its ``visibility`` (core/visibility.py) is set only by
    ``shop_set_visibility``: a hidden shop hides all its products."""

    owner = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="shop")
    name = models.CharField(max_length=80)
    slug = models.SlugField(max_length=80, unique=True, allow_unicode=False)
    description = models.TextField(max_length=4000, blank=True)
    logo = models.ImageField(upload_to="shops/%Y/%m/", blank=True)
    # Denormalised: community's follow services keep it in step with F() updates.
    follower_count = models.PositiveIntegerField(default=0)
    rating_avg = models.DecimalField(max_digits=3, decimal_places=2, default=Decimal("0.00"))
    rating_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("marketplace:shop", kwargs={"slug": self.slug})


class Category(models.Model):
    name = models.CharField(max_length=80)
    slug = models.SlugField(max_length=80, unique=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    # Materialised path of slugs ("home/kitchen"): descendants are path__startswith, one query.
    path = models.CharField(max_length=400, unique=True, editable=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.path = f"{self.parent.path}/{self.slug}" if self.parent_id else self.slug
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("marketplace:category", kwargs={"slug": self.slug})


class ProductStatus(models.TextChoices):
    """The seller's choice. Whether anyone may see it is ``visibility`` (removed by the seller,
    hidden or held by a moderator), as for every kind of content."""

    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")


class Product(VisibilityFields):
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="products")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    title = models.CharField(max_length=200)
    description = models.TextField(max_length=10000, blank=True)
    price = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))])
    stock = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=ProductStatus.choices, default=ProductStatus.DRAFT)
    sales_count = models.PositiveIntegerField(default=0)
    rating_avg = models.DecimalField(max_digits=3, decimal_places=2, default=Decimal("0.00"))
    rating_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Search documents (title, category and shop names, description), written only by
    # marketplace.services.search: normalised text (SQLite matches on it) and, on PostgreSQL,
    # the weighted terms (GIN index, migration 0012; NULL on SQLite).
    search_text = models.TextField(blank=True, default="", editable=False)
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # Browsing: active products newest first, per shop and per category.
            models.Index(fields=["status", "-created_at"], name="product_status_created"),
            models.Index(fields=["shop", "status", "-created_at"], name="product_shop_status"),
            models.Index(fields=["category", "status"], name="product_category_status"),
            models.Index(fields=["status", "-sales_count"], name="product_status_sales"),
            models.Index(fields=["status", "price"], name="product_status_price"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(price__gt=0), name="product_price_positive"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("marketplace:product", kwargs={"pk": self.pk})


class ProductImage(models.Model):
    """An uploaded product image. ``image`` is the cleaned original (orientation fixed, metadata
    stripped); the display sizes are filled in by a Celery task, and pages show the original
    until they exist."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    image = models.ImageField(upload_to="products/%Y/%m/")
    image_320 = models.ImageField(upload_to="products/%Y/%m/", blank=True)
    image_960 = models.ImageField(upload_to="products/%Y/%m/", blank=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self):
        return f"Image {self.pk} of product {self.product_id}"

    @property
    def thumb_url(self) -> str:
        return (self.image_320 or self.image).url

    @property
    def display_url(self) -> str:
        return (self.image_960 or self.image).url


class ProductView(models.Model):
    """One view of a product page by a signed-in user (feeds interest profiles)."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="views")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="product_views")
    viewed_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["user", "-viewed_at"], name="productview_user_recent")]

    def __str__(self):
        return f"{self.user_id} viewed {self.product_id}"
