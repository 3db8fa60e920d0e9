"""Admin for sales: moderators schedule sale events, approve or reject deal enrolments in bulk
and oversee shop vouchers. The sale clock's schedules are django-celery-beat's Periodic tasks."""

from django.contrib import admin, messages

from marketplace.models import Deal, DealStatus, SaleEvent, SaleRanking, Voucher
from marketplace.services import sales as sale_services


class SaleRankingInline(admin.TabularInline):
    model = SaleRanking
    fields = ["kind", "rank", "shop", "product", "units_sold", "computed_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(SaleEvent)
class SaleEventAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "starts_at", "ends_at", "status", "opened_at", "closed_at"]
    list_filter = ["status"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    date_hierarchy = "starts_at"
    readonly_fields = ["status", "reminder_sent_at", "opened_at", "closed_at"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "banner", "description", "starts_at", "ends_at"]}),
        (
            "Clock (set by Celery)",
            {
                "fields": readonly_fields,
                "description": "Prices follow the times above at once; these marks record the side "
                "effects (reminder, opening, closing) that the sale clock has done, each once.",
            },
        ),
    ]
    inlines = [SaleRankingInline]

    def save_model(self, request, obj, form, change):
        sale_services.sale_save(sale=obj)


DEAL_TERMS = ["deal_price", "percent_off", "flash_quantity", "flash_sold", "per_buyer_limit", "status", "created_at"]


@admin.register(Deal)
class DealAdmin(admin.ModelAdmin):
    list_display = ["product", "shop", "sale", *DEAL_TERMS]
    list_filter = ["status", "sale"]
    search_fields = ["product__title", "product__shop__name"]
    list_select_related = ["product__shop", "sale"]
    # Sellers enrol and moderators decide with the actions, which keep caches in step.
    readonly_fields = ["sale", "product", *DEAL_TERMS]
    actions = ["approve_deals", "reject_deals"]

    def has_add_permission(self, request):
        return False

    @admin.display(ordering="product__shop__name")
    def shop(self, deal):
        return deal.product.shop

    @admin.action(description="Approve selected deals", permissions=["change"])
    def approve_deals(self, request, queryset):
        self._moderate(request, queryset, approve=True)

    @admin.action(description="Reject selected deals", permissions=["change"])
    def reject_deals(self, request, queryset):
        self._moderate(request, queryset, approve=False)

    def _moderate(self, request, queryset, *, approve: bool):
        changed = sale_services.deal_moderate(deal_ids=list(queryset.values_list("id", flat=True)), approve=approve)
        verdict = DealStatus.APPROVED if approve else DealStatus.REJECTED
        for deal in Deal.objects.filter(id__in=changed).select_related("product", "sale"):
            self.log_change(request, deal, f"{verdict.label} (bulk action)")
        self.message_user(request, f"{len(changed)} deal(s) {verdict.label.lower()}.", messages.SUCCESS)


@admin.register(Voucher)
class VoucherAdmin(admin.ModelAdmin):
    list_display = ["__str__", "shop", "min_spend", "discount", "claimed_count", "total", "valid_from", "valid_until"]
    list_filter = ["valid_until"]
    search_fields = ["title", "shop__name"]
    list_select_related = ["shop"]
    raw_id_fields = ["shop"]
    readonly_fields = ["claimed_count", "created_at"]

    # Through the services, which drop the cached voucher boxes and carts that show them.
    def save_model(self, request, obj, form, change):
        sale_services.voucher_save(voucher=obj)

    def delete_model(self, request, obj):
        sale_services.vouchers_delete(voucher_ids=[obj.pk])

    def delete_queryset(self, request, queryset):
        sale_services.vouchers_delete(voucher_ids=list(queryset.values_list("pk", flat=True)))
