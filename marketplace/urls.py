from django.urls import path  # noqa: F401

from marketplace.views import addresses, catalogue, orders, sales  # noqa: F401

app_name = "marketplace"

urlpatterns = [
    # --- catalogue: products, categories, search, shops, seller dashboard ---
    path("products/", catalogue.product_list, name="products"),
    path("search/", catalogue.product_list, name="search"),
    path("products/<int:pk>/", catalogue.product_detail, name="product"),
    path("categories/<slug:slug>/", catalogue.category_detail, name="category"),
    path("shops/<slug:slug>/", catalogue.shop_detail, name="shop"),
    path("sell/", catalogue.seller_dashboard, name="seller_dashboard"),
    path("sell/shop/new/", catalogue.shop_create, name="shop_create"),
    path("sell/shop/", catalogue.shop_edit, name="shop_edit"),
    path("sell/products/new/", catalogue.product_create, name="product_create"),
    path("sell/products/<int:pk>/", catalogue.product_edit, name="product_edit"),
    path("sell/products/<int:pk>/remove/", catalogue.product_remove, name="product_remove"),
    path("sell/products/<int:pk>/images/", catalogue.product_image_upload, name="product_image_upload"),
    path(
        "sell/products/<int:pk>/images/<int:image_id>/delete/",
        catalogue.product_image_delete,
        name="product_image_delete",
    ),
    # --- orders: cart, checkout, orders, reviews ---
    path("cart/", orders.cart, name="cart"),
    path("cart/add/", orders.cart_add, name="cart_add"),
    path("cart/items/<int:product_id>/", orders.cart_update, name="cart_update"),
    path("cart/items/<int:product_id>/remove/", orders.cart_remove, name="cart_remove"),
    path("checkout/", orders.checkout, name="checkout"),
    path("checkout/pay/", orders.payment, name="payment"),
    path("addresses/", addresses.address_list, name="addresses"),
    path("addresses/new/", addresses.address_create, name="address_create"),
    path("addresses/<int:pk>/", addresses.address_edit, name="address_edit"),
    path("addresses/<int:pk>/delete/", addresses.address_delete, name="address_delete"),
    path("addresses/<int:pk>/default/", addresses.address_default, name="address_default"),
    path("orders/", orders.order_list, name="order_list"),
    path("orders/<int:pk>/", orders.order_detail, name="order_detail"),
    path("orders/<int:pk>/pay/", orders.order_pay, name="order_pay"),
    path("orders/<int:pk>/cancel/", orders.order_cancel, name="order_cancel"),
    path("orders/<int:pk>/confirm/", orders.order_confirm, name="order_confirm"),
    path("orders/<int:pk>/ship/", orders.order_ship, name="order_ship"),
    path(
        "orders/<int:pk>/after-sale/<slug:action>/",
        orders.order_after_sale,
        name="order_after_sale",
    ),
    path("orders/lines/<int:line_id>/review/", orders.review_create, name="review_create"),
    path("sell/orders/", orders.seller_order_list, name="seller_orders"),
    # --- sales: sale events, deals, vouchers ---
    path("sales/", sales.sale_list, name="sale_list"),
    path("sales/<slug:slug>/", sales.sale_detail, name="sale"),
    path("sales/<slug:slug>/enrol/", sales.deal_enrol, name="deal_enrol"),
    path("shops/<slug:slug>/vouchers/", sales.shop_vouchers, name="shop_vouchers"),
    path("shops/<slug:slug>/vouchers/new/", sales.voucher_create, name="voucher_create"),
    path("vouchers/<int:pk>/claim/", sales.voucher_claim, name="voucher_claim"),
    path("sell/vouchers/", sales.seller_vouchers, name="seller_vouchers"),
    path("sell/vouchers/<int:pk>/end/", sales.voucher_end, name="voucher_end"),
]
