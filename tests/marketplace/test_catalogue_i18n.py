"""The whole-page cache keeps one copy per language: a Chinese visitor never gets the English
page of the same URL, nor the other way round."""

import pytest
from django.test import Client

from tests.marketplace.factories import ProductFactory, ShopFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded_categories")]


def _get(url: str, accept_language: str):
    return Client().get(url, HTTP_ACCEPT_LANGUAGE=accept_language)


@pytest.mark.parametrize("page", ["product", "list", "search", "shop"])
def test_cached_pages_are_kept_per_language(page):
    # given a product, and its page first served to a Chinese browser (now cached)
    product = ProductFactory(title="Pearl necklace")
    url = {
        "product": product.get_absolute_url(),
        "list": "/products/",
        "search": "/products/?search=Pearl",
        "shop": product.shop.get_absolute_url(),
    }[page]
    chinese = _get(url, "zh-CN,zh;q=0.9")

    # when an English browser asks for the same URL, then a Chinese one again
    english = _get(url, "en-US,en;q=0.9")
    chinese_again = _get(url, "zh-CN")

    # then each gets its own language, and the response says it varies by language
    for response in (chinese, chinese_again):
        assert '<html lang="zh-hans">' in response.content.decode() and "购物车" in response.content.decode()
    assert '<html lang="en">' in english.content.decode() and ">Cart<" in english.content.decode()
    assert "Pearl necklace" in english.content.decode()
    for response in (chinese, english):
        vary = {v.strip() for v in response["Vary"].split(",")}
        assert {"Accept-Language", "Cookie"} <= vary


def test_chosen_language_cookie_gets_the_page_in_that_language():
    shop = ShopFactory()
    browser = Client()
    browser.get(shop.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en")  # English copy cached

    browser.post("/i18n/setlang/", {"language": "zh-hans"})
    page = browser.get(shop.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en")

    assert '<html lang="zh-hans">' in page.content.decode()
