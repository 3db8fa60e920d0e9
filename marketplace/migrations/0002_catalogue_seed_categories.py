"""Seed the category tree: sensible top-level categories and a few children.

Idempotent (get_or_create by slug); paths are set here because historical models do not run
``Category.save``. Editable in admin afterwards.
"""

from django.db import migrations

TREE = [
    ("apparel", "Apparel 服饰", [("womens-clothing", "Women's clothing 女装"), ("mens-clothing", "Men's clothing 男装")]),
    (
        "jewellery",
        "Jewellery 珠宝首饰",
        [("necklaces", "Necklaces 项链"), ("earrings", "Earrings 耳饰"), ("bracelets", "Bracelets 手链")],
    ),
    (
        "food-produce",
        "Food & produce 食品生鲜",
        [("tea", "Tea 茶叶"), ("snacks", "Snacks 零食"), ("fresh-produce", "Fruit & vegetables 果蔬")],
    ),
    ("home", "Home 家居", [("kitchen", "Kitchen 厨房"), ("home-decor", "Decor 家饰")]),
    ("beauty", "Beauty 美妆", [("skincare", "Skincare 护肤"), ("makeup", "Makeup 彩妆")]),
    ("electronics", "Electronics 数码", [("phone-accessories", "Phone accessories 手机配件"), ("audio", "Audio 影音")]),
]


def forwards(apps, schema_editor):
    Category = apps.get_model("marketplace", "Category")
    for position, (slug, name, children) in enumerate(TREE):
        parent, _ = Category.objects.get_or_create(
            slug=slug, defaults={"name": name, "path": slug, "position": position}
        )
        for child_position, (child_slug, child_name) in enumerate(children):
            Category.objects.get_or_create(
                slug=child_slug,
                defaults={
                    "name": child_name,
                    "parent": parent,
                    "path": f"{parent.path}/{child_slug}",
                    "position": child_position,
                },
            )


def backwards(apps, schema_editor):
    Category = apps.get_model("marketplace", "Category")
    slugs = [slug for slug, _, _ in TREE]
    child_slugs = [c for _, _, children in TREE for c, _ in children]
    # Only categories nobody has used yet can go (products protect their category).
    Category.objects.filter(slug__in=child_slugs, products__isnull=True).delete()
    Category.objects.filter(slug__in=slugs, products__isnull=True, children__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
