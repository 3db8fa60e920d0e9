from django.urls import path  # noqa: F401
from rest_framework.routers import DefaultRouter

from marketplace.api import addresses, catalogue, orders, sales  # noqa: F401

router = DefaultRouter()
# --- catalogue ---
router.register("shops", catalogue.ShopViewSet, basename="api-shop")
router.register("categories", catalogue.CategoryViewSet, basename="api-category")
router.register("products", catalogue.ProductViewSet, basename="api-product")
# --- orders ---
router.register("orders", orders.OrderViewSet, basename="api-order")
router.register("reviews", orders.ReviewViewSet, basename="api-review")
# --- sales ---

urlpatterns = [
    # --- catalogue ---
    # --- orders ---
    path("cart/", orders.CartView.as_view(), name="api-cart"),
    path("cart/items/", orders.CartItemsView.as_view(), name="api-cart-items"),
    path("cart/items/<int:product_id>/", orders.CartItemView.as_view(), name="api-cart-item"),
    path("checkout/", orders.CheckoutView.as_view(), name="api-checkout"),
    path("reviews/<int:pk>/", orders.ReviewDetailView.as_view(), name="api-review-detail"),
    path("me/reviews/", orders.MyReviewListView.as_view(), name="api-my-reviews"),
    path("me/voucher-claims/", orders.MyVoucherClaimListView.as_view(), name="api-my-voucher-claims"),
    path("addresses/", addresses.AddressListView.as_view(), name="api-addresses"),
    path("addresses/<int:pk>/", addresses.AddressDetailView.as_view(), name="api-address"),
    # --- sales ---
    path("sales/", sales.SaleListView.as_view(), name="api-sale-list"),
    path("sales/<slug:slug>/", sales.SaleDetailView.as_view(), name="api-sale"),
    path("sales/<slug:slug>/deals/", sales.SaleDealListView.as_view(), name="api-sale-deals"),
    path("shops/<slug:slug>/vouchers/", sales.ShopVoucherListView.as_view(), name="api-shop-vouchers"),
    path("vouchers/<int:pk>/claim/", sales.VoucherClaimView.as_view(), name="api-voucher-claim"),
    *router.urls,
]
