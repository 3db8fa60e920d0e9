from django.urls import path  # noqa: F401

from marketplace.views import catalogue, orders, sales  # noqa: F401

app_name = "marketplace"

urlpatterns = [
    # --- catalogue: products, categories, search, shops, seller dashboard ---
    # --- orders: cart, checkout, orders, reviews ---
    # --- sales: sale events, deals, vouchers ---
]
