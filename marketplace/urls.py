from django.urls import path  # noqa: F401

from marketplace.views import catalogue, orders, sales  # noqa: F401

app_name = "marketplace"

urlpatterns = [
    # --- catalogue: products, categories, search, shops, seller dashboard ---
    # --- orders: cart, checkout, orders, reviews ---
    # --- sales: sale events, deals, vouchers ---
    path("sales/", sales.sale_list, name="sale_list"),
    path("sales/<slug:slug>/", sales.sale_detail, name="sale"),
    path("sales/<slug:slug>/enrol/", sales.deal_enrol, name="deal_enrol"),
    path("shops/<slug:slug>/vouchers/", sales.shop_vouchers, name="shop_vouchers"),
    path("shops/<slug:slug>/vouchers/new/", sales.voucher_create, name="voucher_create"),
    path("vouchers/<int:pk>/claim/", sales.voucher_claim, name="voucher_claim"),
]
