"""Data and URLs for bench/marketplace_http.py (run through ``manage.py shell`` after
``seed_demo``): the cases it measures, each against a real row of the demo catalogue, a
catalogue grown to a set size, and the distinct search queries for the search row."""

import random
from decimal import Decimal

from core.visibility import Visibility
from marketplace.models import Category, Product, ProductStatus, Shop

#: Words of the generated catalogue's titles (English and Chinese), so searches find real rows.
ADJECTIVES = [
    "classic", "vintage", "handmade", "elegant", "simple", "modern", "rustic", "bright", "soft", "light",
    "antique", "royal", "tiny", "grand", "silky", "polished", "carved", "woven", "painted", "glazed",
    "素雅", "古典", "精致", "手工", "复古", "时尚", "轻巧", "华丽", "清新", "典雅",
]  # fmt: skip
MATERIALS = [
    "pearl", "jade", "silver", "gold", "silk", "cotton", "bamboo", "porcelain", "copper", "wool",
    "珍珠", "玉石", "银", "丝绸", "竹", "陶瓷", "铜", "羊毛", "檀木", "琉璃",
]  # fmt: skip
NOUNS = [
    "necklace", "bracelet", "earrings", "scarf", "teapot", "cup", "bowl", "fan", "lantern", "box",
    "项链", "手链", "耳环", "围巾", "茶壶", "茶杯", "碗", "扇子", "灯笼", "盒子",
]  # fmt: skip


def bench_catalogue(*, reverse) -> dict[str, str]:
    product = Product.objects.filter(status=ProductStatus.ACTIVE, title__contains="珍珠").order_by("id").first()
    shop = (
        Shop.objects.filter(visibility=Visibility.VISIBLE, products__status=ProductStatus.ACTIVE).order_by("id").first()
    )
    return {
        "product page": reverse("marketplace:product", kwargs={"pk": product.pk}),
        "product list API": "/api/v1/products/?page_size=20",
        "search": reverse("marketplace:search") + "?search=pearl",
        "shop page": reverse("marketplace:shop", kwargs={"slug": shop.slug}),
    }


def bench_catalogue_grow(*, total: int) -> int:
    """Add generated active products to the demo shops until there are ``total`` products
    (idempotent: adds nothing when there are enough). Returns how many were added."""
    have = Product.objects.count()
    if have >= total:
        return 0
    shops = list(Shop.objects.filter(visibility=Visibility.VISIBLE).order_by("id"))
    categories = list(Category.objects.filter(children__isnull=True).order_by("id")) or list(Category.objects.all())
    rng = random.Random(have)
    products = []
    for n in range(have, total):
        words = [rng.choice(ADJECTIVES), rng.choice(MATERIALS), rng.choice(NOUNS)]
        products.append(
            Product(
                shop=shops[n % len(shops)],
                category=categories[n % len(categories)],
                title=f"{' '.join(words)} {n}",
                description=f"{' '.join(reversed(words))}. Bench product {n}.",
                price=Decimal(rng.randrange(500, 99900)) / 100,
                stock=rng.randrange(0, 200),
                sales_count=rng.randrange(0, 500),
                status=ProductStatus.ACTIVE,
            )
        )
    made = Product.objects.bulk_create(products, batch_size=1000)
    # bulk_create bypasses the catalogue services: build the search documents they would have.
    from marketplace.services.search import product_search_refresh

    product_search_refresh(product_ids=[p.id for p in made])
    return len(products)


def bench_search_queries(*, count: int) -> list[str]:
    """``count`` distinct search queries over the generated titles' words (pairs and triples,
    shuffled), so no two requests of a run share a cached result."""
    pairs = [f"{a} {b}" for a in ADJECTIVES for b in MATERIALS] + [f"{m} {n}" for m in MATERIALS for n in NOUNS]
    triples = [f"{a} {m} {n}" for a in ADJECTIVES for m in MATERIALS for n in NOUNS]
    queries = pairs + triples
    random.Random(7).shuffle(queries)
    return queries[:count]


def bench_search_catalogue(*, products: int = 10_000) -> dict:
    """Top the catalogue up to ``products`` public products from the synthetic search corpus
    (idempotent: rows made by an earlier run count), build their search documents, and return
    ``{"products", "made", "pools"}`` for bench/search.py."""
    from decimal import Decimal

    from django.contrib.auth import get_user_model

    from marketplace.demo.search_corpus import corpus, queries
    from marketplace.models import Category
    from marketplace.selectors.catalogue import product_public_q
    from marketplace.services.search import product_search_refresh

    User = get_user_model()
    names = [
        ("Hangzhou Tea House 杭州茶舍", "tea"),
        ("Zhuji Pearl Studio 诸暨珍珠坊", "pearl"),
        ("Yixing Clay 宜兴陶艺", "clay"),
        ("Suzhou Silk 苏州丝绸", "silk"),
        ("Farm Pantry 农家食品", "pantry"),
    ]
    shops = []
    for i in range(40):
        name, slug = names[i % len(names)]
        owner, _ = User.objects.get_or_create(username=f"search-bench-{i}")
        shop, _ = Shop.objects.get_or_create(
            owner=owner, defaults={"name": f"{name} {i}", "slug": f"search-bench-{slug}-{i}"}
        )
        shops.append(shop)
    public = Product.objects.filter(product_public_q()).count()
    missing = max(0, products - public)
    categories = {c.slug: c for c in Category.objects.all()}
    made = 0
    if missing:
        rows = corpus(missing, seed=public + 1)
        new = Product.objects.bulk_create(
            [
                Product(
                    shop=shops[i % len(shops)],
                    category=categories[row["category"]],
                    title=row["title"],
                    description=row["description"],
                    price=Decimal(row["price"]),
                    stock=100,
                    status=ProductStatus.ACTIVE,
                    sales_count=(i * 37) % 500,
                )
                for i, row in enumerate(rows)
            ],
            batch_size=1000,
        )
        made = product_search_refresh(product_ids=[p.id for p in new])
        from django.db import connection

        if connection.vendor == "postgresql":  # fresh statistics, or the planner guesses after a bulk load
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE marketplace_product")
    return {"products": Product.objects.filter(product_public_q()).count(), "made": made, "pools": queries()}
