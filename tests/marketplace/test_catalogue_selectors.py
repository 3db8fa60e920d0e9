"""Catalogue reads: what is public, search (English and Chinese), relevance, filters on the
effective price, category descendants, ordering, and the next price change."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from core.visibility import Visibility
from marketplace.models import Category, ProductStatus
from marketplace.selectors import catalogue as selectors
from tests.marketplace.catalogue_support import live_deal
from tests.marketplace.factories import ProductFactory, ShopFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded_categories")]


def titles(queryset) -> list[str]:
    return [p.title for p in queryset]


def search(text: str, **filters) -> list[str]:
    return titles(selectors.product_filter(selectors.product_list_public(), search=text, **filters))


@pytest.fixture
def shop():
    return ShopFactory()


def test_only_active_products_of_active_shops_are_public(shop):
    ProductFactory(shop=shop, title="Active")
    ProductFactory(shop=shop, title="Draft", status=ProductStatus.DRAFT)
    for visibility in (Visibility.HELD, Visibility.HIDDEN, Visibility.REMOVED):
        ProductFactory(shop=shop, title=visibility, visibility=visibility)
    ProductFactory(shop=ShopFactory(visibility=Visibility.HIDDEN), title="In a hidden shop")

    assert titles(selectors.product_list_public()) == ["Active"]


def test_search_matches_chinese_substrings_in_title_and_description(shop):
    ProductFactory(shop=shop, title="淡水珍珠项链")
    ProductFactory(shop=shop, title="Studs", description="天然珍珠耳钉")
    ProductFactory(shop=shop, title="项链盒")

    assert sorted(search("珍珠")) == sorted(["淡水珍珠项链", "Studs"])
    assert search("珍珠项链") == ["淡水珍珠项链"]
    assert sorted(search("项链")) == sorted(["淡水珍珠项链", "项链盒"])


def test_search_is_case_insensitive_and_needs_every_word(shop):
    ProductFactory(shop=shop, title="Freshwater Pearl Necklace")
    ProductFactory(shop=shop, title="Pearl studs")

    assert search("PEARL necklace") == ["Freshwater Pearl Necklace"]
    assert sorted(search("pearl")) == ["Freshwater Pearl Necklace", "Pearl studs"]


def test_relevance_puts_title_matches_before_description_matches(shop):
    ProductFactory(shop=shop, title="Tea bowl", description="for pearl tea", sales_count=900)
    ProductFactory(shop=shop, title="Pearl tea", sales_count=1)
    ProductFactory(shop=shop, title="Pearl milk tea", sales_count=50)

    found = search("pearl tea", ordering="relevance")
    assert sorted(found[:2]) == ["Pearl milk tea", "Pearl tea"] and found[2] == "Tea bowl"


def test_price_filters_and_sort_use_the_effective_price(shop):
    ProductFactory(shop=shop, title="A", price=Decimal("100.00"))
    discounted = ProductFactory(shop=shop, title="B", price=Decimal("300.00"))
    ProductFactory(shop=shop, title="C", price=Decimal("200.00"))
    live_deal(discounted, percent_off=80)  # 60.00

    public = selectors.product_list_public()
    assert titles(selectors.product_filter(public, ordering="price")) == ["B", "A", "C"]
    assert titles(selectors.product_filter(public, max_price=Decimal("100"), ordering="-price")) == ["A", "B"]
    assert titles(selectors.product_filter(public, min_price=Decimal("150"))) == ["C"]


def test_category_filter_includes_descendants_but_not_lookalike_slugs(shop):
    home = Category.objects.get(slug="home")
    lookalike = Category.objects.create(name="Homeware", slug="homeware")  # path "homeware"
    ProductFactory(shop=shop, title="Kitchen", category=Category.objects.get(slug="kitchen"))
    ProductFactory(shop=shop, title="Home", category=home)
    ProductFactory(shop=shop, title="Homeware", category=lookalike)

    assert sorted(titles(selectors.product_filter(selectors.product_list_public(), category=home))) == [
        "Home",
        "Kitchen",
    ]


def test_orderings_newest_best_selling_and_stock_filter(shop):
    old = ProductFactory(shop=shop, title="Old", sales_count=10, stock=0)
    ProductFactory(shop=shop, title="New", sales_count=5)
    old.created_at = timezone.now() - timedelta(days=3)
    old.save(update_fields=["created_at"])
    public = selectors.product_list_public()

    assert titles(selectors.product_filter(public, ordering="newest")) == ["New", "Old"]
    assert titles(selectors.product_filter(public, ordering="best_selling")) == ["Old", "New"]
    assert titles(selectors.product_filter(public, in_stock=True)) == ["New"]
    assert titles(selectors.product_filter(public, ordering="relevance")) == ["New", "Old"]  # no search: newest


def test_next_price_change_is_the_nearest_sale_boundary(shop):
    product = ProductFactory(shop=shop)
    now = timezone.now()
    live_deal(product, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=2), slug="a")
    later = ProductFactory(shop=shop)
    live_deal(later, starts_at=now + timedelta(minutes=30), ends_at=now + timedelta(hours=5), slug="b")

    assert selectors.product_next_price_change(product_id=product.id, now=now) == now + timedelta(hours=2)
    assert selectors.product_next_price_change(now=now) == now + timedelta(minutes=30)
    assert selectors.product_next_price_change(product_id=ProductFactory(shop=shop).id, now=now) is None


def test_category_tree_nests_children_in_position_order():
    tree = selectors.category_tree()

    assert [n["category"].slug for n in tree][:3] == ["apparel", "jewellery", "food-produce"]
    jewellery = next(n for n in tree if n["category"].slug == "jewellery")
    assert [c["category"].slug for c in jewellery["children"]] == ["necklaces", "earrings", "bracelets"]


def test_postgres_close_matches_use_the_title_trigram_index(postgres, shop):
    # The index (migration 0003) is on UPPER(title::text); the suggestions compare the same expression.
    from django.db import connection
    from django.db.models.functions import Upper

    from marketplace.models import Product
    from marketplace.selectors.search import product_suggestions, title_near_q

    ProductFactory(shop=shop, title="Freshwater pearl necklace")
    ProductFactory(shop=shop, title="Teapot")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table: make the planner show its options
        plan = Product.objects.annotate(title_upper=Upper("title")).filter(title_near_q(["perl"])).explain()
    found = product_suggestions(selectors.product_list_public(), search="perl necklase")
    assert [p.title for p in found] == ["Freshwater pearl necklace"]
    assert "product_title_trgm" in plan


# --- the one public rule ----------------------------------------------------------------------


@pytest.mark.parametrize("shop_status", list(Visibility))
@pytest.mark.parametrize("product_visibility", list(Visibility))
@pytest.mark.parametrize("product_status", list(ProductStatus))
def test_the_public_rule_reads_the_same_as_a_filter_and_on_a_loaded_row(
    product_status, product_visibility, shop_status
):
    # given a product in each combination of its own status and visibility and its shop's
    product = ProductFactory(
        status=product_status, visibility=product_visibility, shop=ShopFactory(visibility=shop_status)
    )
    from community.models import Question  # another app's rows filter through the foreign key
    from tests.community.factories import QuestionFactory

    question = QuestionFactory(product=product)
    public = (
        product_status == ProductStatus.ACTIVE
        and product_visibility == Visibility.VISIBLE
        and shop_status == Visibility.VISIBLE
    )

    # then the queryset filter, the row predicate and a related-row filter all agree
    assert selectors.product_is_public(product) is public
    assert product.__class__.objects.filter(selectors.product_public_q(), pk=product.pk).exists() is public
    assert Question.objects.filter(selectors.product_public_q("product__"), pk=question.pk).exists() is public
    assert selectors.shop_is_public(product.shop) is (shop_status == Visibility.VISIBLE)
    assert selectors.shop_list_public().filter(pk=product.shop_id).exists() is (shop_status == Visibility.VISIBLE)


def test_the_cached_next_price_change_follows_the_sales_saved(django_capture_on_commit_callbacks):
    from marketplace.models import SaleEvent
    from marketplace.services import sales as sale_services

    before = selectors.catalogue_next_price_change()
    now = timezone.now()
    sale = SaleEvent(name="Soon", slug="soon", starts_at=now + timedelta(minutes=5), ends_at=now + timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        sale_services.sale_save(sale=sale)  # bumps TAG_ALL on commit

    assert before != sale.starts_at
    assert selectors.catalogue_next_price_change() == sale.starts_at == selectors.product_next_price_change()
