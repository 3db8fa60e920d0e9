"""Who may change what in the catalogue: the one place for these rules (pages and API).

- Anyone may read public shops, categories and products.
- A signed-in user may open one shop.
- A shop's owner may change the shop, its products and their images.
- Nobody else: ``is_staff`` grants nothing here. Moderators hide and restore content through
  the moderation tools (admin, the queue), never by writing a shop as if they owned it.
"""

from rest_framework import permissions

from marketplace.models import Product, ProductImage, Shop


def shop_of(obj) -> Shop:
    if isinstance(obj, Shop):
        return obj
    if isinstance(obj, Product):
        return obj.shop
    if isinstance(obj, ProductImage):
        return obj.product.shop
    raise TypeError(f"no shop for {type(obj).__name__}")


def user_can_manage(user, obj) -> bool:
    """True if ``user`` may change ``obj`` (a shop, product or product image)."""
    if not user.is_authenticated:
        return False
    return shop_of(obj).owner_id == user.id


class IsShopOwnerOrReadOnly(permissions.IsAuthenticatedOrReadOnly):
    """Reads for everyone; writes for signed-in users (``IsAuthenticatedOrReadOnly``, so the
    schema marks reads as open to anonymous callers: core/schema.py), on objects they may manage."""

    message = "Only the shop's owner may change this."

    def has_object_permission(self, request, view, obj):
        return request.method in permissions.SAFE_METHODS or user_can_manage(request.user, obj)
