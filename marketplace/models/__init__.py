"""Marketplace models, split by sub-domain: catalogue (shops, categories, products, images,
product views), orders (carts, orders, reviews, idempotency records) and sales (sale events,
deals, vouchers)."""

from .catalogue import Category, Product, ProductImage, ProductStatus, ProductView, Shop
from .orders import (
    Cart,
    CartItem,
    CheckoutRequest,
    Order,
    OrderLine,
    OrderStatus,
    Review,
    ReviewImage,
)
from .sales import (
    Deal,
    DealClaim,
    DealKind,
    DealPurchase,
    DealStatus,
    SaleEvent,
    SaleRanking,
    SaleStatus,
    Voucher,
    VoucherClaim,
)

__all__ = [
    "Cart",
    "CartItem",
    "Category",
    "CheckoutRequest",
    "Deal",
    "DealClaim",
    "DealKind",
    "DealPurchase",
    "DealStatus",
    "Order",
    "OrderLine",
    "OrderStatus",
    "Product",
    "ProductImage",
    "ProductStatus",
    "ProductView",
    "Review",
    "ReviewImage",
    "SaleEvent",
    "SaleRanking",
    "SaleStatus",
    "Shop",
    "Voucher",
    "VoucherClaim",
]
