"""Browser journey through the slots upper apps fill on marketplace pages: the product page shows
community's Q&A summary (with the verified-buyer badge) and it is fresh after a new answer; the
shop page's follow button follows the visitor. Screenshots at 1280 px and 390 px go to
$JISHI_SCREENSHOTS (a temporary folder when unset); nothing is wider than the screen."""

import os
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from community.services import qa
from tests.community.factories import PASSWORD, AnswerFactory, QuestionFactory, UserFactory, make_purchase
from tests.e2e.conftest import login
from tests.marketplace.catalogue_support import seed_categories
from tests.marketplace.factories import ProductFactory, ShopFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shoot(page, name: str, tmp_path) -> None:
    folder = os.environ.get("JISHI_SCREENSHOTS") or str(tmp_path)
    os.makedirs(folder, exist_ok=True)
    page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)


def _open(browser, live_server, width: int):
    context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": 900})
    context.set_default_timeout(15_000)
    return context, context.new_page()


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.fixture
def pearls():
    seed_categories()
    shop = ShopFactory(name="Meimei Pearls 美美珍珠", slug="meimei-pearls")
    product = ProductFactory(shop=shop, title="Freshwater pearl necklace", price=Decimal("1299.00"), stock=5)
    buyer = UserFactory(username="lili", display_name="Lili")
    make_purchase(buyer, product)
    clasp = QuestionFactory(product=product, text="Is the clasp sturdy enough to wear every day?", answer_count=2)
    AnswerFactory(question=clasp, author=buyer, text="I've worn mine daily for two months; the clasp is still tight.")
    AnswerFactory(question=clasp, text="My sister likes hers.")
    QuestionFactory(product=product, text="Does it come in a gift box?")
    return product


@pytest.mark.parametrize("width", [1280, 390])
def test_the_product_page_shows_the_qa_summary_and_stays_fresh(browser, live_server, pearls, width, tmp_path):
    context, page = _open(browser, live_server, width)
    try:
        # when an anonymous shopper opens the product page
        page.goto(pearls.get_absolute_url())

        # then the Q&A summary shows the count, the answered question and the buyer's badge
        summary = page.locator("section.qa-summary")
        expect(summary.get_by_role("heading", name="Questions and answers")).to_be_visible()
        expect(summary).to_contain_text("2 questions from shoppers")
        expect(summary.get_by_role("link", name="Is the clasp sturdy enough to wear every day?")).to_be_visible()
        expect(summary.get_by_text("Verified buyer")).to_be_visible()
        expect(summary).to_contain_text("the clasp is still tight")
        _shoot(page, f"product-qa-{width}", tmp_path)
        assert _fits(page)

        # when the unanswered question gets an answer, the (cached) page shows it at the next visit
        box = pearls.questions.get(text="Does it come in a gift box?")
        qa.answer_post(author=UserFactory(), question=box, text="Yes, a red silk box.")
        page.reload()
        expect(summary).to_contain_text("Yes, a red silk box.")

        # and the link leads to the product's questions
        summary.get_by_role("link", name="Questions about this product").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Questions about Freshwater pearl necklace")
    finally:
        context.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_the_shop_follow_button_follows_the_visitor(browser, live_server, pearls, width, tmp_path):
    context, page = _open(browser, live_server, width)
    try:
        # an anonymous visitor is asked to log in to follow
        page.goto("/shops/meimei-pearls/")
        expect(page.get_by_role("link", name="Log in to follow Meimei Pearls 美美珍珠")).to_be_visible()

        # a signed-in shopper follows and sees the new state
        shopper = UserFactory(username="wei")
        login(page, shopper.username, PASSWORD)
        page.goto("/shops/meimei-pearls/")
        page.get_by_role("button", name="Follow Meimei Pearls 美美珍珠").click()
        expect(page.get_by_role("button", name="Following · unfollow Meimei Pearls 美美珍珠")).to_be_visible()
        _shoot(page, f"shop-following-{width}", tmp_path)
        assert _fits(page)
    finally:
        context.close()
