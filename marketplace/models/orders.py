from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.visibility import VisibilityFields


class Cart(models.Model):
    """A signed-in user's cart. Anonymous carts live in the session and merge in at login."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cart")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Cart of {self.user}"


class CartItem(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey("marketplace.Product", on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "product"], name="cartitem_unique_product"),
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="cartitem_quantity_positive"),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.product_id}"


class CheckoutRequest(models.Model):
    """An ``Idempotency-Key`` record: what the first checkout with the key answered, so that a
    retry answers the same.

    ``request_hash`` fingerprints the request; reusing a key with a different request is refused.
    A checkout that placed orders links them (``Order.checkout``); one that was refused keeps the
    refusal in ``refusal`` — ``{"code", "message", "status", "extra"}`` of the ``ApplicationError``.
    ``answered_at`` is null while the first request is still in flight.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    refusal = models.JSONField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="checkoutrequest_unique_key")]

    def __str__(self):
        return f"{self.user_id}:{self.key}"


class OrderStatus(models.TextChoices):
    PENDING_PAYMENT = "pending_payment", _("Awaiting payment")
    PAID = "paid", _("Paid")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired (not paid in time)")


class Order(models.Model):
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders")
    shop = models.ForeignKey("marketplace.Shop", on_delete=models.PROTECT, related_name="orders")
    status = models.CharField(max_length=20, choices=OrderStatus.choices, default=OrderStatus.PENDING_PAYMENT)
    checkout = models.ForeignKey(
        CheckoutRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    # A ForeignKey, not one-to-one: an expired order gives its claim back for a later order.
    voucher_claim = models.ForeignKey(
        "marketplace.VoucherClaim", null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    currency = models.CharField(max_length=3, default="CNY")
    subtotal = models.DecimalField(max_digits=12, decimal_places=2)
    discount = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0.00"))
    total = models.DecimalField(max_digits=12, decimal_places=2)
    payment_reference = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)  # cancelled or expired
    # Set when the seller cancelled the (unpaid) order: why, as they told the buyer.
    cancel_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["buyer", "-created_at"], name="order_buyer_recent"),
            models.Index(fields=["shop", "-created_at"], name="order_shop_recent"),
            # The expiry job scans pending orders past their deadline.
            models.Index(fields=["status", "expires_at"], name="order_status_expires"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(total__gte=0), name="order_total_not_negative"),
        ]

    def __str__(self):
        return f"Order #{self.pk}"


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey("marketplace.Product", on_delete=models.PROTECT, related_name="order_lines")
    deal = models.ForeignKey(
        "marketplace.Deal", null=True, blank=True, on_delete=models.PROTECT, related_name="order_lines"
    )
    title = models.CharField(max_length=200)  # snapshot at checkout
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)  # snapshot at checkout
    list_price = models.DecimalField(max_digits=12, decimal_places=2)  # product price before any deal
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["product", "order"], name="orderline_product_order")]

    def __str__(self):
        return f"{self.quantity} × {self.title}"

    @property
    def line_total(self) -> Decimal:
        return self.unit_price * self.quantity


class Review(VisibilityFields):
    """A verified buyer's review of one order line (one review per line)."""

    order_line = models.OneToOneField(OrderLine, on_delete=models.PROTECT, related_name="review")
    product = models.ForeignKey("marketplace.Product", on_delete=models.CASCADE, related_name="reviews")
    shop = models.ForeignKey("marketplace.Shop", on_delete=models.CASCADE, related_name="reviews")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviews")
    rating = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    text = models.TextField(max_length=4000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["product", "visibility", "-created_at"], name="review_product_recent")]
        constraints = [
            models.CheckConstraint(condition=models.Q(rating__gte=1, rating__lte=5), name="review_rating_1_to_5"),
        ]

    def __str__(self):
        return f"{self.rating}★ by {self.author_id} on {self.product_id}"


class ReviewImage(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="images")
    image = models.ImageField(upload_to="reviews/%Y/%m/")

    def __str__(self):
        return f"Image {self.pk} of review {self.review_id}"
