"""Browser journey (issue 9): a shopper searches from the header of any page, for a Chinese word
and for two English words, and finds the right products; a misspelt search offers close matches."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from marketplace.models import Category
from tests.marketplace.catalogue_support import seed_categories
from tests.marketplace.factories import ProductFactory, ShopFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def results(page):
    return page.get_by_role("region", name="Products")


def header_search(page, text: str) -> None:
    box = page.get_by_role("search", name="Search products").get_by_role("searchbox")
    box.fill(text)
    box.press("Enter")


def test_header_search_finds_chinese_and_two_english_words(page):
    seed_categories()
    pearls = ShopFactory(name="Meimei Pearls 美美珍珠", slug="meimei")
    garden = ShopFactory(name="Xiaoming Garden", slug="xiaoming")
    necklaces, tea = Category.objects.get(slug="necklaces"), Category.objects.get(slug="tea")
    ProductFactory(
        shop=pearls, title="淡水珍珠项链", description="Freshwater pearls, silver clasp.", category=necklaces
    )
    ProductFactory(shop=pearls, title="Pearl stud earrings", category=Category.objects.get(slug="earrings"))
    ProductFactory(shop=garden, title="Silver pendant necklace", category=necklaces)
    ProductFactory(shop=garden, title="西湖龙井 Longjing", category=tea, price=Decimal("168.00"))
    ProductFactory(shop=garden, title="大红袍 Da Hong Pao", category=tea, price=Decimal("198.00"))
    ProductFactory(shop=garden, title="紫砂茶壶 Yixing teapot", category=Category.objects.get(slug="kitchen"))

    # given a shopper on the sales page (not the market): the header has a search box
    page.goto("/sales/")
    # when they search for 茶叶 (the tea category's name; no tea title says it)
    header_search(page, "茶叶")
    # then both teas are found, and the teapot (茶 but not 茶叶) is not
    expect(page).to_have_url(re.compile(r"/search/\?q="))
    expect(results(page).get_by_role("status")).to_have_text("2 products")
    expect(results(page).get_by_role("link", name="西湖龙井 Longjing").first).to_be_visible()
    expect(results(page).get_by_role("link", name="大红袍 Da Hong Pao").first).to_be_visible()
    expect(results(page).get_by_text("紫砂茶壶")).to_have_count(0)
    expect(page.get_by_role("heading", level=1)).to_have_text("Results for “茶叶”")

    # when they search for two English words from the results page's header
    header_search(page, "pearl necklace")
    # then only the pearl necklace (pearl in its description, necklace in its category) is found
    expect(results(page).get_by_role("status")).to_have_text("1 product")
    expect(results(page).get_by_role("link", name="淡水珍珠项链").first).to_be_visible()
    expect(page.get_by_role("search", name="Search products").get_by_role("searchbox")).to_have_value("pearl necklace")

    # and a misspelt search shows close matches instead of an empty page
    header_search(page, "peral studs")
    expect(results(page)).to_contain_text("No products match")
    expect(results(page).get_by_role("heading", name="Close matches")).to_be_visible()
    expect(results(page).get_by_role("link", name="Pearl stud earrings").first).to_be_visible()
