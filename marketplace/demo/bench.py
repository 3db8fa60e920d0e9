"""Data and URLs for bench/marketplace_http.py (run through ``manage.py shell`` after
``seed_demo``): the cases it measures, each against a real row of the demo catalogue."""

from marketplace.models import Product, ProductStatus, Shop, ShopStatus


def bench_catalogue(*, reverse) -> dict[str, str]:
    product = Product.objects.filter(status=ProductStatus.ACTIVE, title__contains="珍珠").order_by("id").first()
    shop = Shop.objects.filter(status=ShopStatus.ACTIVE, products__status=ProductStatus.ACTIVE).order_by("id").first()
    return {
        "product page": reverse("marketplace:product", kwargs={"pk": product.pk}),
        "product list API": "/api/v1/products/?page_size=20",
        "search": reverse("marketplace:search") + "?search=pearl",
        "shop page": reverse("marketplace:shop", kwargs={"slug": shop.slug}),
    }
