"""Admin for orders and reviews: moderators look orders up (by status, shop, buyer), complete
delivered ones and expire overdue unpaid ones, and hide or restore reviews. Every change goes
through the services (so stock and ratings stay right) and is logged in the admin log."""

from django.contrib import admin, messages

from core.admin import VISIBILITY_READONLY, VisibilityActionsMixin
from core.errors import ApplicationError
from marketplace.models import Order, OrderLine, OrderStatus, RefundRequest, Review, ReviewImage
from marketplace.services import orders as order_services
from marketplace.services import reviews as review_services


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    fields = ["product", "title", "deal", "unit_price", "list_price", "quantity"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class RefundRequestInline(admin.TabularInline):
    """Refund and return requests, read-only: they change only through the after-sale services."""

    model = RefundRequest
    fields = [
        "kind", "status", "reason", "response", "amount", "auto_approve_at", "decided_by", "decided_at",
        "refund_reference", "created_at",
    ]  # fmt: skip
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["id", "buyer", "shop", "status", "total", "created_at", "expires_at", "paid_at"]
    list_filter = ["status", "shop"]
    search_fields = ["=id", "buyer__username", "shop__name", "payment_reference", "lines__title"]
    list_select_related = ["buyer", "shop"]
    date_hierarchy = "created_at"
    inlines = [OrderLineInline, RefundRequestInline]
    actions = ["complete_orders", "expire_overdue_orders"]
    # Status and money change only through the lifecycle services.
    readonly_fields = [f.name for f in Order._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Complete selected delivered orders")
    def complete_orders(self, request, queryset):
        done = 0
        for order in queryset.filter(status=OrderStatus.DELIVERED):
            try:
                order_services.order_complete(order=order)
            except ApplicationError:
                continue
            self.log_change(request, order, "Completed")
            done += 1
        self.message_user(request, f"{done} order(s) completed.", messages.SUCCESS)

    @admin.action(description="Expire selected unpaid orders past their deadline")
    def expire_overdue_orders(self, request, queryset):
        done = 0
        for order in queryset.filter(status=OrderStatus.PENDING_PAYMENT):
            if order_services.order_expire(order=order):
                self.log_change(request, order, "Expired (stock returned)")
                done += 1
        self.message_user(request, f"{done} order(s) expired; the others are not overdue.", messages.SUCCESS)


class ReviewImageInline(admin.TabularInline):
    model = ReviewImage
    extra = 0
    readonly_fields = ["image"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Review)
class ReviewAdmin(VisibilityActionsMixin, admin.ModelAdmin):
    list_display = ["id", "product", "shop", "author", "rating", "visibility", "created_at"]
    list_filter = ["visibility", "rating"]
    search_fields = ["text", "author__username", "product__title", "shop__name"]
    list_select_related = ["product", "shop", "author"]
    readonly_fields = ["order_line", "product", "shop", "author", "rating", "text", *VISIBILITY_READONLY, "created_at"]
    inlines = [ReviewImageInline]
    #: Reviews that are not visible leave the product's and shop's ratings.
    set_visibility = staticmethod(review_services.review_set_visibility)

    def has_add_permission(self, request):
        return False
