"""Admin for catalogue: moderators find shops, categories and products (with image previews),
and hide or restore products and shops. Hiding and restoring go through the services (so caches
are invalidated) and every action is written to the admin log."""

from django.contrib import admin
from django.utils.html import format_html

from core.admin import VISIBILITY_READONLY, VisibilityActionsMixin
from marketplace.models import Category, Product, ProductImage, Shop
from marketplace.services import catalogue as services


def _preview(url: str, alt: str, size: int = 64) -> str:
    return format_html('<img src="{}" alt="{}" width="{}" height="{}" style="object-fit:cover">', url, alt, size, size)


@admin.register(Shop)
class ShopAdmin(VisibilityActionsMixin, admin.ModelAdmin):
    list_display = ["name", "slug", "owner", "visibility", "follower_count", "rating_avg", "created_at"]
    list_filter = ["visibility"]
    search_fields = ["name", "slug", "owner__username"]
    list_select_related = ["owner"]
    readonly_fields = [
        "owner",
        "slug",
        *VISIBILITY_READONLY,
        "follower_count",
        "rating_avg",
        "rating_count",
        "created_at",
    ]
    #: Hiding a shop hides all its products from buyers.
    set_visibility = staticmethod(services.shop_set_visibility)

    def has_add_permission(self, request):
        return False  # users open their own shops

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.shop_cache_bump(shop=obj)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "path", "position"]
    search_fields = ["name", "slug"]
    list_select_related = ["parent"]
    ordering = ["path"]
    prepopulated_fields = {"slug": ["name"]}

    def get_readonly_fields(self, request, obj=None):
        # Children's paths are built from the parent's: slug and parent are fixed once saved.
        return ["slug", "parent", "path"] if obj else ["path"]

    def get_prepopulated_fields(self, request, obj=None):
        return {} if obj else self.prepopulated_fields

    def save_model(self, request, obj, form, change):
        services.category_save(category=obj)


class ProductImageInline(admin.TabularInline):
    model = ProductImage
    extra = 0
    fields = ["preview", "width", "height", "position", "sizes_ready"]
    readonly_fields = ["preview", "width", "height", "sizes_ready"]

    def has_add_permission(self, request, obj=None):
        return False  # uploads go through the validating image service (pages and API)

    @admin.display(description="Image")
    def preview(self, obj):
        return _preview(obj.thumb_url, f"Image {obj.pk}", 96)

    @admin.display(boolean=True, description="320/960 px made")
    def sizes_ready(self, obj):
        return bool(obj.image_320 and obj.image_960)


@admin.register(Product)
class ProductAdmin(VisibilityActionsMixin, admin.ModelAdmin):
    list_display = [
        "cover",
        "title",
        "shop",
        "category",
        "price",
        "stock",
        "status",
        "visibility",
        "sales_count",
        "created_at",
    ]
    list_display_links = ["cover", "title"]
    list_filter = ["visibility", "status", "category", "shop__visibility"]
    search_fields = ["=id", "title", "shop__name", "shop__slug"]
    list_select_related = ["shop", "category"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "shop",
        "status",
        *VISIBILITY_READONLY,
        "sales_count",
        "rating_avg",
        "rating_count",
        "created_at",
        "updated_at",
    ]
    inlines = [ProductImageInline]
    set_visibility = staticmethod(services.product_set_visibility)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("images")

    def has_add_permission(self, request):
        return False  # sellers add products to their own shops

    @admin.display(description="Image")
    def cover(self, obj):
        images = list(obj.images.all())
        return _preview(images[0].thumb_url, obj.title) if images else "—"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.product_cache_bump(obj.pk, shop_id=obj.shop_id)
