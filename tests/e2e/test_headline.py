"""The Headline journey in a real browser: today's topic leads the home page → a blogger posts a
story about it mentioning a product, with a picture → it shows on the topic page and in a
follower's following feed → the follower likes it, clicks the card and buys the product → the
author sees one click-through and one order. Screenshots at 1280 px and 390 px go to
$JISHI_SCREENSHOTS (a temporary folder when unset); nothing is wider than a phone's screen."""

import os
from decimal import Decimal
from io import BytesIO

import pytest
from PIL import Image
from playwright.sync_api import expect

from headline.models import Story
from marketplace.models import OrderStatus
from marketplace.selectors.orders import order_list_for_buyer
from tests.community.factories import PASSWORD, UserFactory, UserFollowFactory
from tests.e2e.conftest import login
from tests.headline.factories import TopicFactory
from tests.marketplace.catalogue_support import seed_categories
from tests.marketplace.factories import ProductFactory, ShopFactory, make_address

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FITS = "document.documentElement.scrollWidth <= window.innerWidth"


def _shoot(page, name: str, tmp_path) -> None:
    folder = os.environ.get("JISHI_SCREENSHOTS") or str(tmp_path)
    os.makedirs(folder, exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.reload()
        assert page.evaluate(FITS), f"{name} is wider than {width} px"
        page.screenshot(path=os.path.join(folder, f"headline-{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def _picture(tmp_path) -> str:
    path = tmp_path / "pearls.png"
    image = Image.new("RGB", (640, 480), "#f4efe6")
    image.paste((200, 40, 60), (200, 140, 440, 340))
    out = BytesIO()
    image.save(out, format="PNG")
    path.write_bytes(out.getvalue())
    return str(path)


def test_topic_story_follower_like_click_buy_and_the_author_sees_it(page, browser, live_server, tmp_path):
    # given today's topic, a pearl shop's earrings, a blogger and a reader who follows her
    seed_categories()
    topic = TopicFactory(title="My buy of the year", prompt="Which one thing would you buy again tomorrow?")
    shop = ShopFactory(name="Meimei Pearls")
    studs = ProductFactory(shop=shop, title="Pearl stud earrings", price=Decimal("88.00"), stock=5)
    blogger = UserFactory(username="lili", display_name="Lili")
    reader = UserFactory(username="wei", display_name="Wei")
    make_address(reader)  # checkout ships to the default address
    UserFollowFactory(follower=reader, user=blogger)

    # when the blogger opens the home page, today's topic leads it
    login(page, blogger.username, PASSWORD)
    page.goto("/")
    expect(page.get_by_text("Today's topic").first).to_be_visible()
    expect(page.get_by_role("heading", name="My buy of the year")).to_be_visible()
    _shoot(page, "home", tmp_path)

    # and she tells her story from there, mentioning the earrings, with a picture
    page.get_by_role("link", name="Tell your story").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tell a story")
    page.get_by_label("Title").fill("Pearls I wear every day")
    page.get_by_label("Your story").fill("I wear them **every day**. <script>alert(1)</script>")
    page.get_by_label("Products you mention").fill(f"/products/{studs.pk}/")
    page.get_by_label("Pictures").set_input_files(_picture(tmp_path))
    expect(page.get_by_label("Topic")).to_have_value(str(topic.pk))
    page.get_by_role("button", name="Publish").click()

    # then the story is posted with the picture and a shoppable card, the script shown as text
    expect(page.get_by_role("status")).to_contain_text("Your story is posted.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Pearls I wear every day")
    expect(page.locator(".story-body strong")).to_have_text("every day")
    expect(page.locator(".story-body")).to_contain_text("<script>alert(1)</script>")
    expect(page.locator(".story-gallery img")).to_have_count(1)
    expect(page.locator(".mention-card")).to_contain_text("¥88.00")
    story = Story.objects.get(author=blogger)

    # and it shows on the topic page
    page.get_by_role("link", name="#My buy of the year").click()
    expect(page.get_by_role("heading", name="Pearls I wear every day")).to_be_visible()

    # when the reader opens her following feed
    reader_context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    reader_context.set_default_timeout(15_000)
    reader_page = reader_context.new_page()
    login(reader_page, reader.username, PASSWORD)
    reader_page.goto("/feed/following/")
    card = reader_page.get_by_role("article", name="Pearls I wear every day")
    expect(card).to_be_visible()
    _shoot(reader_page, "following", tmp_path)

    # and likes the story
    card.get_by_role("link", name="Pearls I wear every day").click()
    reader_page.get_by_role("button", name="Like").click()
    expect(reader_page.get_by_role("button", name="Liked")).to_have_attribute("aria-pressed", "true")
    expect(reader_page.locator("[data-like-count]")).to_have_text("1")
    _shoot(reader_page, "story", tmp_path)

    # and clicks the card's Buy button, adds the earrings to the cart, checks out and pays
    reader_page.locator(".mention-card").get_by_role("link", name="Buy").click()
    expect(reader_page.get_by_role("heading", level=1)).to_have_text("Pearl stud earrings")
    reader_page.get_by_role("button", name="Add to cart").click()
    reader_page.get_by_role("link", name="Check out").click()
    reader_page.get_by_role("button", name="Place order").click()
    reader_page.get_by_role("button", name="Pay ¥88.00 — Simulated payment (demo)").click()
    expect(reader_page.get_by_role("status")).to_contain_text("Paid: order #")
    assert [order.status for order in order_list_for_buyer(user=reader)] == [OrderStatus.PAID]
    reader_context.close()

    # then the author sees one click-through and one order on her story
    page.goto(story.get_absolute_url())
    expect(page.locator("[data-author-stats]")).to_have_text("1 click-through · 1 order")
    expect(page.locator("[data-like-count]")).to_have_text("1")
    # and so does her profile, beside her stories
    page.goto(blogger.get_absolute_url())
    expect(page.locator("[data-clicks]")).to_have_text("1")
    expect(page.locator("[data-orders]")).to_have_text("1")
    expect(page.get_by_role("heading", name="Pearls I wear every day")).to_be_visible()
    _shoot(page, "profile", tmp_path)
