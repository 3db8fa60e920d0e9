"""Demo catalogue: shops and ~40 products with images and display sizes; idempotent."""

import pytest

from community import demo as community_demo
from marketplace.demo import catalogue as demo
from marketplace.models import Product, ProductImage, Shop

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded_categories")]


def run_steps(ctx):
    for _, step in [*community_demo.STEPS, *demo.STEPS]:
        step(ctx)


def test_demo_catalogue_is_complete_and_idempotent(media_root):
    ctx = {"password": "demo-pass-123"}
    run_steps(ctx)
    counts = (Shop.objects.count(), Product.objects.count(), ProductImage.objects.count())

    run_steps({"password": "demo-pass-123"})

    assert (Shop.objects.count(), Product.objects.count(), ProductImage.objects.count()) == counts
    # every product has a photo; the first two of each shop a gallery of four
    assert counts[0] == 4 and 38 <= counts[1] <= 45 and counts[2] == counts[1] + 4 * 2 * 3
    assert not Product.objects.filter(images__isnull=True).exists()
    pearl = Product.objects.get(title="淡水珍珠项链")
    assert pearl.shop.owner.username == "meimei" and pearl.category.path == "jewellery/necklaces"
    assert pearl.images.count() == 4
    assert all(image.image_320 and image.image_960 for image in pearl.images.all())
    assert set(ctx["shops"]) == {"meimei-pearls", "xiaoming-tea", "lanlan-home", "dawei-digital"}
    assert ctx["products"]["淡水珍珠项链"] == pearl
    assert Product.objects.filter(stock=0).exists()
    categories = set(Product.objects.values_list("category__path", flat=True))
    assert {p.split("/")[0] for p in categories} == {
        "apparel",
        "jewellery",
        "food-produce",
        "home",
        "beauty",
        "electronics",
    }
