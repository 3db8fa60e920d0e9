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
    The record is written in the transaction that answers it (``services.checkout``), so no one
    sees it before its answer; ``answered_at`` is null only on records written before that.
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


class Address(models.Model):
    """A delivery address in a user's address book (at most one ``is_default``). Orders keep a
    snapshot of it (``Order.shipping_address``), so editing or deleting it never changes a placed
    order. The rules (a mainland mobile number, a six-digit postcode) are in
    :mod:`marketplace.services.addresses`."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="addresses")
    recipient = models.CharField(_("recipient"), max_length=50)
    mobile = models.CharField(_("mobile number"), max_length=11)
    province = models.CharField(_("province"), max_length=50)
    city = models.CharField(_("city"), max_length=50)
    district = models.CharField(_("district"), max_length=50)
    street = models.CharField(_("street address"), max_length=200)
    postcode = models.CharField(_("postcode"), max_length=6, blank=True)
    is_default = models.BooleanField(_("default address"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-is_default", "-updated_at", "-id"]
        indexes = [models.Index(fields=["user", "-is_default", "-updated_at"], name="address_user_book")]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(is_default=True), name="address_one_default_per_user"
            ),
        ]

    def __str__(self):
        city = "" if self.city == self.province else self.city  # 上海市上海市 reads 上海市
        return f"{self.recipient}, {self.province}{city}{self.district}{self.street}"

    #: The fields an order's snapshot keeps (``Order.shipping_address``).
    SNAPSHOT_FIELDS = ("recipient", "mobile", "province", "city", "district", "street", "postcode")

    def snapshot(self) -> dict:
        return {name: getattr(self, name) for name in self.SNAPSHOT_FIELDS}


class OrderStatus(models.TextChoices):
    PENDING_PAYMENT = "pending_payment", _("Awaiting payment")
    PAID = "paid", _("Paid")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired (not paid in time)")
    # After-sale (see RefundRequest): a paid, unshipped order the buyer wants refunded; a
    # delivered one they want to send back.
    REFUND_REQUESTED = "refund_requested", _("Refund requested")
    REFUNDED = "refunded", _("Refunded")
    RETURN_REQUESTED = "return_requested", _("Return requested")
    RETURNED = "returned", _("Returned and refunded")


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
    #: Where to deliver, copied from the buyer's address book at checkout (``Address.snapshot``):
    #: later edits of the address never change a placed order. Null for orders placed before
    #: addresses existed (and by services that place orders without one, e.g. demo data).
    shipping_address = models.JSONField(null=True, blank=True)
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


class RefundKind(models.TextChoices):
    REFUND = "refund", _("Refund before shipping")
    RETURN = "return", _("Return after delivery")


class RefundStatus(models.TextChoices):
    REQUESTED = "requested", _("Awaiting the seller")
    APPROVED = "approved", _("Refunded")
    REFUSED = "refused", _("Refused by the seller")


class RefundDecision(models.TextChoices):
    SELLER = "seller", _("By the seller")
    AUTOMATIC = "automatic", _("Automatically")


class RefundRequest(models.Model):
    """A buyer's after-sale request on a paid order: a refund before shipping (``refund``; the
    seller approves, or it is approved automatically at ``auto_approve_at``) or a return after
    delivery (``return``; the seller accepts or refuses with ``response``). Written only by
    ``marketplace.services.refunds``. ``previous_status`` is the order's status before the
    request (where a refused return sends it back); ``refund_reference`` is the payment
    backend's record of the money going back."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="refund_requests")
    kind = models.CharField(max_length=10, choices=RefundKind.choices)
    status = models.CharField(max_length=10, choices=RefundStatus.choices, default=RefundStatus.REQUESTED)
    reason = models.CharField(max_length=500, blank=True)
    response = models.CharField(max_length=500, blank=True)
    previous_status = models.CharField(max_length=20, choices=OrderStatus.choices)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    auto_approve_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.CharField(max_length=10, choices=RefundDecision.choices, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    refund_reference = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The auto-approval job scans open refund requests past their deadline.
            models.Index(
                fields=["auto_approve_at"],
                condition=models.Q(status="requested"),
                name="refundrequest_due",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["order"], condition=models.Q(status="requested"), name="refundrequest_one_open_per_order"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} of order #{self.order_id} ({self.status})"


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
