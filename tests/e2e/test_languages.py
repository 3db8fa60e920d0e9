"""Browser journey: the home and product pages in Chinese for a zh-CN browser and in English for
an en browser; the footer switcher changes the language. Screenshots at 1280 px and 390 px go to
$JISHI_SCREENSHOTS (a temporary folder when unset) and nothing is wider than the screen."""

import os
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.marketplace.catalogue_support import seed_categories
from tests.marketplace.factories import ProductFactory, ShopFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (1280, 390)
#: Names the elements wider than the screen (shown when a page overflows).
WIDEST = """[...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
  .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""


@pytest.fixture
def product():
    seed_categories()
    shop = ShopFactory(name="美美珍珠 Meimei Pearls")
    return ProductFactory(
        shop=shop, title="淡水珍珠项链 Freshwater pearl necklace", price=Decimal("1299.00"), stock=5, sales_count=1234
    )


def _open(browser, live_server, *, locale: str, width: int):
    context = browser.new_context(base_url=live_server.url, locale=locale, viewport={"width": width, "height": 900})
    context.set_default_timeout(15_000)
    return context, context.new_page()


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _shoot(page, name: str, tmp_path) -> None:
    folder = os.environ.get("JISHI_SCREENSHOTS") or str(tmp_path)
    os.makedirs(folder, exist_ok=True)
    page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)


@pytest.mark.parametrize("width", WIDTHS)
def test_chinese_browser_gets_chinese_home_and_product_pages(browser, live_server, product, width, tmp_path):
    context, page = _open(browser, live_server, locale="zh-CN", width=width)
    try:
        # when a zh-CN browser opens the home page
        page.goto("/")

        # then it is Chinese, prices in yuan with separators, and nothing overflows the screen
        expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
        expect(page.get_by_role("heading", name="欢迎来到集市 Jishi")).to_be_visible()
        expect(page.get_by_role("navigation", name="主导航").get_by_role("link", name="逛市集")).to_be_visible()
        expect(page.get_by_role("link", name="购物车")).to_be_visible()
        expect(page.get_by_role("heading", name="热销榜")).to_be_visible()
        expect(page.locator(".product-card .price").first).to_have_text("¥1,299.00")
        expect(page.get_by_text("已售 1234 件").first).to_be_visible()
        _shoot(page, f"home-zh-{width}", tmp_path)
        assert _fits(page), page.evaluate(WIDEST)

        # and the product page too
        page.get_by_role("link", name="淡水珍珠项链 Freshwater pearl necklace").first.click()
        expect(page.get_by_role("heading", name="淡水珍珠项链 Freshwater pearl necklace", level=1)).to_be_visible()
        expect(page.get_by_role("button", name="加入购物车")).to_be_visible()
        expect(page.get_by_text("仅剩 5 件")).to_be_visible()
        expect(page.get_by_role("heading", name="问大家")).to_be_visible()
        expect(page.get_by_label("数量")).to_have_value("1")
        _shoot(page, f"product-zh-{width}", tmp_path)
        assert _fits(page), page.evaluate(WIDEST)
    finally:
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_english_browser_gets_english_pages_and_the_footer_switches_language(
    browser, live_server, product, width, tmp_path
):
    context, page = _open(browser, live_server, locale="en-US", width=width)
    try:
        # given an en browser on the product page (cached now for English)
        page.goto(product.get_absolute_url())
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.get_by_role("button", name="Add to cart")).to_be_visible()
        expect(page.get_by_text("5 left")).to_be_visible()
        expect(page.locator(".product-page .price")).to_contain_text("¥1,299.00")
        _shoot(page, f"product-en-{width}", tmp_path)
        assert _fits(page), page.evaluate(WIDEST)
        page.goto("/")
        expect(page.get_by_role("heading", name="Welcome to Jishi 集市")).to_be_visible()
        expect(page.get_by_role("link", name="Cart")).to_be_visible()
        _shoot(page, f"home-en-{width}", tmp_path)
        assert _fits(page), page.evaluate(WIDEST)

        # when they choose 简体中文 in the footer
        page.get_by_label("Language").select_option("zh-hans")
        page.get_by_role("button", name="Switch").click()

        # then the same page comes back in Chinese, and the product page follows
        expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
        expect(page.get_by_role("heading", name="欢迎来到集市 Jishi")).to_be_visible()
        page.goto(product.get_absolute_url())
        expect(page.get_by_role("button", name="加入购物车")).to_be_visible()

        # and the switcher (now labelled in Chinese) brings English back
        page.get_by_label("语言").select_option("en")
        page.get_by_role("button", name="切换").click()
        expect(page.get_by_role("button", name="Add to cart")).to_be_visible()
    finally:
        context.close()
