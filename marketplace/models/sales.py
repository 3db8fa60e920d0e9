from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class SaleStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    LIVE = "live", _("Live")
    ENDED = "ended", _("Ended")


class SaleEvent(models.Model):
    """A sale day such as 12.12. Whether it is live is decided by the clock (``starts_at <= now <
    ends_at``) wherever prices are computed; ``status`` is kept in step by Celery for side
    effects and display, and is never what prices depend on."""

    name = models.CharField(max_length=80)
    slug = models.SlugField(max_length=80, unique=True)
    banner = models.ImageField(upload_to="sales/", blank=True)
    description = models.TextField(max_length=4000, blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=SaleStatus.choices, default=SaleStatus.SCHEDULED)
    # Set once by the Celery clock (conditional updates make each side effect happen once).
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["starts_at", "ends_at"], name="sale_window")]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="sale_ends_after_start"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("marketplace:sale", kwargs={"slug": self.slug})


class DealStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class DealKind(models.TextChoices):
    SALE = "sale", "Sale"
    LIVE = "live", "Live room"


class Deal(models.Model):
    """A product enrolled in a sale: a deal price or a percentage off, an optional flash quantity
    (the deal's own stock cap) and an optional per-buyer limit.

    A *live* deal (``kind="live"``, no sale) is a room-only flash deal: approved on creation,
    priced only between its own ``starts_at`` and ``ends_at``, and only for buyers holding a
    :class:`DealClaim` (made when they press "grab" in the room); ``audience`` names where the
    claims come from (e.g. ``"room:12"``) and means nothing to the marketplace."""

    kind = models.CharField(max_length=4, choices=DealKind.choices, default=DealKind.SALE)
    sale = models.ForeignKey(SaleEvent, null=True, blank=True, on_delete=models.CASCADE, related_name="deals")
    audience = models.CharField(max_length=40, blank=True)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    product = models.ForeignKey("marketplace.Product", on_delete=models.CASCADE, related_name="deals")
    deal_price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    percent_off = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(99)]
    )
    flash_quantity = models.PositiveIntegerField(null=True, blank=True)
    flash_sold = models.PositiveIntegerField(default=0)
    per_buyer_limit = models.PositiveIntegerField(null=True, blank=True, validators=[MinValueValidator(1)])
    status = models.CharField(max_length=10, choices=DealStatus.choices, default=DealStatus.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["product", "status"], name="deal_product_status")]
        constraints = [
            models.UniqueConstraint(fields=["sale", "product"], name="deal_unique_product_per_sale"),
            models.CheckConstraint(
                condition=(
                    models.Q(kind="sale", sale__isnull=False)
                    | models.Q(
                        kind="live",
                        sale__isnull=True,
                        starts_at__isnull=False,
                        ends_at__gt=models.F("starts_at"),
                        deal_price__isnull=False,
                    )
                ),
                name="deal_kind_fields",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(deal_price__isnull=False, percent_off__isnull=True)
                    | models.Q(deal_price__isnull=True, percent_off__isnull=False)
                ),
                name="deal_price_xor_percent",
            ),
            models.CheckConstraint(
                condition=models.Q(flash_quantity__isnull=True) | models.Q(flash_sold__lte=models.F("flash_quantity")),
                name="deal_flash_not_oversold",
            ),
            models.CheckConstraint(
                condition=models.Q(deal_price__isnull=True) | models.Q(deal_price__gt=Decimal("0")),
                name="deal_price_positive",
            ),
        ]

    def __str__(self):
        return f"{self.product} in {self.sale}" if self.sale_id else f"{self.product} ({self.audience})"


class DealClaim(models.Model):
    """A buyer admitted to a live deal's audience (pressed "grab" in the room): pricing, the
    cart and checkout give them the deal; everyone else keeps the normal price."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="claims")
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    claimed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["deal", "buyer"], name="dealclaim_unique_buyer")]
        # Pricing looks claims up by (deal, buyer): the unique index serves it.

    def __str__(self):
        return f"{self.buyer_id} claimed deal {self.deal_id}"


class DealPurchase(models.Model):
    """Units of a deal bought by one buyer (in unpaid or paid orders): the per-buyer limit is
    enforced on this row with a conditional update."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="purchases")
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["deal", "buyer"], name="dealpurchase_unique_buyer")]

    def __str__(self):
        return f"{self.buyer_id} bought {self.quantity} of deal {self.deal_id}"


class SaleRanking(models.Model):
    """A leaderboard row, recomputed by Celery every few minutes."""

    class Kind(models.TextChoices):
        SHOP = "shop", _("Shop")
        PRODUCT = "product", _("Product")

    sale = models.ForeignKey(SaleEvent, on_delete=models.CASCADE, related_name="rankings")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    rank = models.PositiveSmallIntegerField()
    shop = models.ForeignKey("marketplace.Shop", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey(
        "marketplace.Product", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    units_sold = models.PositiveIntegerField()
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["sale", "kind", "rank"]
        constraints = [models.UniqueConstraint(fields=["sale", "kind", "rank"], name="saleranking_unique_rank")]

    def __str__(self):
        return f"{self.sale_id} {self.kind} #{self.rank}"


class Voucher(models.Model):
    """ "Spend X, save Y" for one shop: ``total`` claims at most, one per user."""

    shop = models.ForeignKey("marketplace.Shop", on_delete=models.CASCADE, related_name="vouchers")
    title = models.CharField(max_length=80, blank=True)
    min_spend = models.DecimalField(max_digits=12, decimal_places=2)
    discount = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))])
    total = models.PositiveIntegerField()
    claimed_count = models.PositiveIntegerField(default=0)
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["min_spend"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(claimed_count__lte=models.F("total")), name="voucher_not_overclaimed"
            ),
            models.CheckConstraint(
                condition=models.Q(discount__lt=models.F("min_spend")), name="voucher_discount_below_spend"
            ),
            models.CheckConstraint(
                condition=models.Q(valid_until__gt=models.F("valid_from")), name="voucher_valid_window"
            ),
        ]

    def __str__(self):
        return self.title or f"Spend {self.min_spend}, save {self.discount}"


class VoucherClaim(models.Model):
    voucher = models.ForeignKey(Voucher, on_delete=models.CASCADE, related_name="claims")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="voucher_claims")
    claimed_at = models.DateTimeField(auto_now_add=True)
    # Set while an order (unpaid or paid) uses the claim; cleared when that order expires/cancels.
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["voucher", "user"], name="voucherclaim_one_per_user")]

    def __str__(self):
        return f"{self.user_id} claimed {self.voucher_id}"
