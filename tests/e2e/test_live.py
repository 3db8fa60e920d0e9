"""The live-room journey in real browsers against a real ASGI server (uvicorn serving HTTP and
WebSockets; pytest-django's live_server has no WebSocket): the host goes live and pins a product
with a room-only flash deal; a viewer in another browser context chats, votes yea and sees the
tally move, grabs the deal and buys it; the host's stats show the visit and the sale.
Screenshots at 1280 and 390 px go to var/screenshots/live/."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from playwright.sync_api import expect

from livestream.models import ChatMessage, Room, RoomStatus
from marketplace.models import Order
from tests.community.factories import UserFactory
from tests.e2e.conftest import login
from tests.livestream.factories import RoomFactory, RoomProductFactory
from tests.livestream.servers import asgi_servers
from tests.marketplace.factories import ProductFactory, ShopFactory, make_address

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "live-journey-2026"
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots" / "live"


def _person(username: str, **fields):
    # The server process uses the production hashers (the tests' MD5 one is not among them).
    return UserFactory(username=username, password=PBKDF2PasswordHasher().encode(PASSWORD, "livesalt", 1000), **fields)


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_host_goes_live_pins_a_deal_viewer_chats_votes_grabs_buys_and_stats_show_it(browser):
    if connection.vendor != "postgresql":
        pytest.skip("the ASGI server processes cannot open the in-memory SQLite test database: needs PostgreSQL")
    host = _person("lili", display_name="Lili")
    viewer = _person("wei", display_name="Wei")
    make_address(viewer)  # checkout ships to the default address
    shop = ShopFactory(owner=_person("meimei"), name="Pearl Studio")
    necklace = ProductFactory(shop=shop, title="Freshwater pearl necklace", price=Decimal("299.00"), stock=30)
    room = RoomFactory(host=host, title="Lili's pearl night")
    RoomProductFactory(room=room, product=necklace)
    RoomProductFactory(room=room, product=ProductFactory(title="Longjing green tea", price=Decimal("68.00")))

    with asgi_servers(1, LIVE_PRESENCE_SECONDS="1") as (base,):
        host_context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900})
        viewer_context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900})
        for context in (host_context, viewer_context):
            context.set_default_timeout(15_000)
        host_page, viewer_page = host_context.new_page(), viewer_context.new_page()

        # the host goes live from the page and pins the necklace with a flash deal
        login(host_page, "lili", PASSWORD)
        host_page.goto(room.get_absolute_url())
        host_page.get_by_role("button", name="Start now (no video)").click()
        expect(host_page.locator("#room-status")).to_have_text("Live now")
        expect(host_page.locator("body[data-room-ready]")).to_have_count(1)
        host_page.get_by_label("Deal price").fill("199")
        host_page.get_by_label("Quantity").fill("10")
        host_page.get_by_label("Minutes").fill("10")
        host_page.locator(f'[data-pin="{necklace.pk}"]').click()
        expect(host_page.locator("#featured-title")).to_have_text("Freshwater pearl necklace")
        expect(host_page.locator("#deal-price-text")).to_have_text("¥199.00")
        _shot(host_page, "room-host")

        # a viewer signs in, opens the room, chats and votes yea
        login(viewer_page, "wei", PASSWORD)
        viewer_page.goto(room.get_absolute_url())
        expect(viewer_page.locator("body[data-room-ready]")).to_have_count(1)
        expect(viewer_page.locator("#featured-title")).to_have_text("Freshwater pearl necklace")
        expect(viewer_page.locator("#viewers-now")).to_have_text("2", timeout=10_000)
        viewer_page.get_by_label("Message").fill("How long is it?")
        viewer_page.get_by_role("button", name="Send", exact=True).click()
        expect(viewer_page.locator("#chat-list")).to_contain_text("How long is it?")
        expect(host_page.locator("#chat-list")).to_contain_text("WeiHow long is it?")
        viewer_page.get_by_role("button", name="Yea", exact=True).click()
        expect(viewer_page.locator("#tally-text")).to_have_text("100% yea · votes: 1")
        expect(host_page.locator("#tally-text")).to_have_text("100% yea · votes: 1")

        # grabs the deal and buys it at the room price
        viewer_page.get_by_role("button", name="Grab the deal").click()
        expect(viewer_page.locator("#grab-state")).to_contain_text("¥199.00")
        _shot(viewer_page, "room-viewer")
        viewer_page.get_by_role("button", name="Buy", exact=True).click()
        expect(viewer_page.get_by_role("heading", level=1)).to_have_text("Your cart")
        expect(viewer_page.get_by_test_id("cart-total")).to_have_text("¥199.00")
        viewer_page.get_by_role("link", name="Check out").click()
        viewer_page.get_by_role("button", name="Place order").click()
        expect(viewer_page.get_by_role("status")).to_contain_text("Order placed")

        # the host's stats show the visit and the sale
        host_page.goto(f"/live/{room.pk}/stats/")
        expect(host_page.locator("#stat-visits")).to_have_text("1")
        expect(host_page.locator("#stat-orders")).to_have_text("1")
        expect(host_page.locator("#stat-sales")).to_have_text("¥199.00")
        expect(host_page.locator("#stat-votes")).to_have_text("1")
        expect(host_page.locator("#stat-messages")).to_have_text("1")
        _shot(host_page, "stats")
        host_context.close()
        viewer_context.close()

    order = Order.objects.get(buyer=viewer)
    assert order.total == Decimal("199.00")
    assert ChatMessage.objects.get().text == "How long is it?"
    assert Room.objects.get(pk=room.pk).status == RoomStatus.LIVE
