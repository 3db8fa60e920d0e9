"""Checkout as a newcomer, in a real browser: a new buyer claims a voucher found on a product
page, sees the cart say it applies, adds a delivery address at checkout, sees the total after
the voucher before committing, pays on the payment step (with its countdown); the seller sees
the address and a packing list on the order. Screenshots at 1280 and 390 px of every page on
the way go to $JISHI_SCREENSHOTS (else a temporary folder); each must fit the width."""

import os
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from marketplace.models import Order, OrderStatus
from marketplace.services.cart import cart_item_add
from marketplace.services.sales import voucher_claim
from tests.community.factories import PASSWORD, UserFactory
from tests.e2e.conftest import login
from tests.marketplace.factories import (
    DealFactory,
    ProductFactory,
    SaleEventFactory,
    ShopFactory,
    VoucherFactory,
    make_address,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FITS = "document.documentElement.scrollWidth <= window.innerWidth"
#: What sticks out on the right, to name it when a page does not fit.
WIDE = """[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
  .slice(-4).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""


def _shoot(page, name: str, tmp_path, *, reload: bool = True) -> None:
    folder = os.environ.get("JISHI_SCREENSHOTS") or str(tmp_path)
    os.makedirs(folder, exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        if reload:
            page.reload()
        assert page.evaluate(FITS), f"{name} is wider than {width} px: {page.evaluate(WIDE)}"
        page.screenshot(path=os.path.join(folder, f"checkout-{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_new_buyer_claims_a_voucher_adds_an_address_sees_the_discount_and_pays(page, browser, live_server, tmp_path):
    # given a pearl shop taking part in a live sale, offering "spend ¥100, save ¥15"
    now = timezone.now()
    seller = UserFactory(username="meili")
    shop = ShopFactory(owner=seller, name="Pearl House", slug="pearl-house")
    necklace = ProductFactory(shop=shop, title="Freshwater pearl necklace", price=Decimal("120.00"), stock=5)
    sale = SaleEventFactory(name="Warm-up", slug="warm-up", starts_at=now - timedelta(minutes=5))
    DealFactory(sale=sale, product=ProductFactory(shop=shop, title="Pearl studs", price=Decimal("80.00"), stock=5))
    VoucherFactory(shop=shop, title="Warm-up voucher", min_spend=Decimal("100.00"), discount=Decimal("15.00"))
    # and a new buyer with an empty address book
    buyer = UserFactory(username="xiaohong")

    # when they open the product page (anonymous: the page is cached whole) they see the voucher
    page.goto(necklace.get_absolute_url())
    vouchers = page.get_by_role("region", name="Shop vouchers")
    expect(vouchers).to_contain_text("¥15.00 off")
    vouchers.get_by_role("link", name="Log in to claim").click()
    page.get_by_label("Username").fill(buyer.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    # and, signed in and back on the product page, claim it
    expect(page.get_by_role("heading", level=1)).to_have_text("Freshwater pearl necklace")
    page.get_by_role("region", name="Shop vouchers").get_by_role("button", name="Claim").click()
    expect(page.get_by_role("status")).to_contain_text("Voucher claimed")
    expect(page.get_by_role("region", name="Shop vouchers")).to_contain_text("Claimed")
    _shoot(page, "product-voucher-claimed", tmp_path)

    # the sale page lists the shop's voucher too, claimed
    page.goto("/sales/warm-up/")
    expect(page.get_by_role("region", name="Shop vouchers for this sale")).to_contain_text("Claimed")
    _shoot(page, "sale-vouchers", tmp_path)

    # when they add the necklace to the cart, the cart says the voucher applies
    page.goto(necklace.get_absolute_url())
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your cart")
    expect(page.get_by_role("main")).to_contain_text("Your voucher takes ¥15.00 off")
    _shoot(page, "cart", tmp_path)

    # and check out: no address yet, so the form to add one is open; the voucher is preselected
    # and the total is after it, before anything is placed
    page.get_by_role("link", name="Check out").click()
    expect(page.get_by_test_id("checkout-total")).to_have_text("¥105.00")
    voucher = page.get_by_label("Voucher for Pearl House")
    voucher.select_option(label="No voucher")
    expect(page.get_by_test_id("checkout-total")).to_have_text("¥120.00")
    voucher.select_option(index=1)
    expect(page.get_by_test_id("checkout-total")).to_have_text("¥105.00")
    page.get_by_label("Recipient").fill("小红")
    page.get_by_label("Mobile number").fill("1380013800")  # one digit short
    page.get_by_label("Province").fill("浙江省")
    page.get_by_label("City").fill("杭州市")
    page.get_by_label("District").fill("西湖区")
    page.get_by_label("Street address").fill("文三路 88 号 301 室")
    page.get_by_label("Postcode").fill("310012")
    _shoot(page, "checkout-new-address", tmp_path, reload=False)
    page.get_by_role("button", name="Place order and pay").click()
    expect(page.get_by_role("alert").first).to_contain_text("11 digits starting with 1")
    assert not Order.objects.exists()
    page.get_by_label("Mobile number").fill("13800138000")
    page.get_by_role("button", name="Place order and pay").click()

    # then payment is its own step, with the countdown and the discounted total
    expect(page.get_by_role("heading", level=1)).to_have_text("Payment")
    expect(page.get_by_role("timer")).to_contain_text("Pay within")
    expect(page.get_by_role("timer")).to_contain_text(":")
    _shoot(page, "payment", tmp_path)
    page.get_by_role("button", name="Pay ¥105.00 — Simulated payment (demo)").click()
    expect(page.get_by_role("status")).to_contain_text("Paid: order #")
    order = Order.objects.get(buyer=buyer)
    assert order.status == OrderStatus.PAID and order.total == Decimal("105.00")
    assert order.shipping_address["street"] == "文三路 88 号 301 室"

    # and the address is in their address book, as the default
    page.goto("/addresses/")
    expect(page.get_by_role("main")).to_contain_text("文三路 88 号 301 室")
    expect(page.get_by_role("main")).to_contain_text("Default")
    _shoot(page, "addresses", tmp_path)

    # when the seller opens the order, they see where to send it and what to pack
    seller_context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    seller_context.set_default_timeout(15_000)
    seller_page = seller_context.new_page()
    login(seller_page, seller.username, PASSWORD)
    seller_page.goto("/sell/orders/")
    expect(seller_page.get_by_role("article", name=f"Order #{order.pk}")).to_contain_text("Ship to 小红")
    seller_page.get_by_role("link", name=f"Order #{order.pk}").click()
    address = seller_page.get_by_role("region", name="Deliver to")
    expect(address).to_contain_text("小红")
    expect(address).to_contain_text("13800138000")
    expect(address).to_contain_text("浙江省 杭州市 西湖区")
    expect(seller_page.get_by_role("region", name="Packing list")).to_contain_text("Freshwater pearl necklace")
    _shoot(seller_page, "seller-order", tmp_path)

    # and their dashboard leads to the vouchers they offer, with one claimed and used
    seller_page.goto("/sell/")
    seller_page.get_by_role("link", name="Vouchers", exact=True).click()
    row = seller_page.get_by_role("row", name="Warm-up voucher")
    expect(row).to_contain_text("1 of 10")
    _shoot(seller_page, "seller-vouchers", tmp_path)
    seller_context.close()


def test_a_returning_buyer_claims_on_the_shop_page_is_told_what_unlocks_it_and_picks_a_saved_address(page, tmp_path):
    # given a tea shop offering "spend ¥100, save ¥10", and a buyer with a home and an office address
    shop = ShopFactory(name="Tea garden", slug="tea-garden")
    tea = ProductFactory(shop=shop, title="Longjing green tea", price=Decimal("68.00"), stock=5)
    VoucherFactory(shop=shop, min_spend=Decimal("100.00"), discount=Decimal("10.00"))
    buyer = UserFactory(username="wangwei")
    make_address(buyer, recipient="王伟", street="南京东路 100 号")
    make_address(buyer, is_default=False, recipient="王伟", street="陆家嘴环路 1000 号 18 楼")
    login(page, buyer.username, PASSWORD)

    # when they claim the voucher on the shop page
    page.goto(shop.get_absolute_url())
    vouchers = page.get_by_role("region", name="Shop vouchers")
    expect(vouchers).to_contain_text("¥10.00 off")
    vouchers.get_by_role("button", name="Claim").click()
    expect(page.get_by_role("region", name="Shop vouchers")).to_contain_text("Claimed")
    _shoot(page, "shop-vouchers", tmp_path)

    # and put one ¥68 tea in the cart, the cart says how much more unlocks it
    page.goto(tea.get_absolute_url())
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_test_id("voucher-prompt")).to_contain_text("Spend ¥32.00 more at this shop for ¥10.00 off.")
    _shoot(page, "cart-spend-more", tmp_path)

    # when they check out, the home (default) address is chosen and the new-address form is closed
    page.get_by_role("link", name="Check out").click()
    expect(page.get_by_label("王伟, 上海市黄浦区南京东路 100 号")).to_be_checked()
    expect(page.get_by_label("Recipient")).to_be_hidden()
    expect(page.get_by_test_id("checkout-total")).to_have_text("¥68.00")
    page.get_by_label("王伟, 上海市黄浦区陆家嘴环路 1000 号 18 楼").check()
    _shoot(page, "checkout-saved-addresses", tmp_path, reload=False)
    page.get_by_role("button", name="Place order and pay").click()

    # then the order ships to the office
    expect(page.get_by_role("heading", level=1)).to_have_text("Payment")
    assert Order.objects.get(buyer=buyer).shipping_address["street"] == "陆家嘴环路 1000 号 18 楼"


def test_a_voucher_picked_before_the_checkout_script_ran_still_shows_its_total(page, live_server):
    # given a buyer with a claimed "spend ¥100, save ¥15" voucher and a ¥120 necklace in the cart
    shop = ShopFactory(name="Pearl House", slug="pearl-house")
    necklace = ProductFactory(shop=shop, title="Freshwater pearl necklace", price=Decimal("120.00"), stock=5)
    voucher = VoucherFactory(shop=shop, min_spend=Decimal("100.00"), discount=Decimal("15.00"))
    buyer = UserFactory(username="xiaohong")
    make_address(buyer)
    voucher_claim(user=buyer, voucher_id=voucher.pk)
    cart_item_add(user=buyer, product_id=necklace.pk)
    login(page, buyer.username, PASSWORD)

    # when the checkout page's script arrives late (a slow connection, a busy server) and the
    # buyer has already picked "No voucher"
    held = []
    page.route("**/js/checkout*.js", lambda route: held.append(route))
    page.goto("/checkout/", wait_until="commit")
    expect(page.get_by_test_id("checkout-total")).to_have_text("¥105.00")
    page.get_by_label("Voucher for Pearl House").select_option(label="No voucher")
    page.wait_for_timeout(200)
    assert held, "the checkout script was not requested"
    held[0].continue_()

    # then, once it runs, the total is the one without a voucher
    expect(page.get_by_test_id("checkout-total")).to_have_text("¥120.00")
