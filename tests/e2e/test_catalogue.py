"""Browser journey: a seller opens a shop, lists a product with a photo; a visitor finds it by a
Chinese search and opens it."""

import pytest
from playwright.sync_api import expect

from tests.community.factories import PASSWORD, UserFactory
from tests.e2e.conftest import login
from tests.marketplace.catalogue_support import image_bytes, seed_categories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_seller_lists_a_product_and_a_visitor_finds_it(page, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    seed_categories()
    # given a signed-in user without a shop
    UserFactory(username="meimei")
    login(page, "meimei", PASSWORD)

    # when they open a shop from the Sell link
    page.get_by_role("link", name="Sell").click()
    page.get_by_role("link", name="Open a shop").click()
    page.get_by_label("Shop name").fill("Meimei Pearls")
    page.get_by_label("Web address").fill("meimei-pearls")
    page.get_by_role("button", name="Open shop").click()
    expect(page.get_by_role("heading", name="Meimei Pearls")).to_be_visible()

    # and add an active product with a photo
    page.get_by_role("link", name="Add a product").click()
    page.get_by_label("Title").fill("淡水珍珠项链")
    page.get_by_label("Category").select_option(label="— Necklaces 项链")
    page.get_by_label("Price").fill("299.00")
    page.get_by_label("Stock").fill("5")
    page.get_by_label("Status").select_option("active")
    page.get_by_role("button", name="Save").click()
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(image_bytes("JPEG", size=(600, 400)))
    page.get_by_label("Add an image").set_input_files(str(photo))
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("status").first).to_contain_text("Image added")
    expect(page.get_by_role("img", name="Photo 1 of 淡水珍珠项链")).to_be_visible()

    # then a visitor finds it by a two-character Chinese search and sees its price
    page.get_by_role("button", name="Log out").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Market").click()
    page.get_by_role("textbox", name="Search").fill("珍珠")
    page.get_by_role("button", name="Show products").click()
    expect(page.get_by_role("status").filter(has_text="product")).to_have_text("1 product")
    page.get_by_role("link", name="淡水珍珠项链").first.click()
    expect(page.get_by_role("heading", name="淡水珍珠项链", level=1)).to_be_visible()
    expect(page.locator(".price").first).to_contain_text("¥299.00")
    expect(page.get_by_role("button", name="Add to cart")).to_be_visible()
