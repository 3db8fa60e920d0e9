"""An inbox you can trust, in a real browser (issue 9, point 4): a past buyer is invited to answer
two questions; a moderator (a "Moderators" group member) hides one of them in admin; the buyer's
inbox no longer shows that invitation and the header badge agrees with the list. Screenshots go
to $JISHI_SCREENSHOTS (a temporary folder when unset)."""

import os

import pytest
from playwright.sync_api import expect

from community.models import QuestionInvitation
from community.services.qa import question_ask, question_route_to_buyers
from tests.community.factories import PASSWORD, UserFactory, make_moderator, make_purchase
from tests.e2e.conftest import login
from tests.marketplace.factories import ProductFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shot(page, name, tmp_path):
    folder = os.environ.get("JISHI_SCREENSHOTS") or str(tmp_path)
    os.makedirs(folder, exist_ok=True)
    page.screenshot(path=os.path.join(folder, f"inbox-{name}.png"), full_page=True)


def test_a_hidden_question_leaves_the_invited_buyers_inbox_and_the_badge_agrees(browser, live_server, tmp_path):
    # given a buyer of two products, invited to answer a question about each
    bangle = ProductFactory(title="Hetian jade bangle")
    teapot = ProductFactory(title="Yixing clay teapot")
    buyer = UserFactory(username="lili")
    make_purchase(buyer, bangle)
    make_purchase(buyer, teapot)
    asker = UserFactory(username="wei")
    spam = question_ask(author=asker, product=bangle, text="Cheap copies of this bangle, message me on WeChat!")
    fair = question_ask(author=asker, product=teapot, text="Does the teapot keep tea warm for long?")
    for question in (spam, fair):
        question_route_to_buyers(question_id=question.pk)  # what the routing task does
    assert QuestionInvitation.objects.filter(invitee=buyer).count() == 2
    make_moderator(username="mod")

    buyer_page = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900}).new_page()
    login(buyer_page, buyer.username, PASSWORD)
    inbox_link = buyer_page.get_by_role("navigation", name="Account").get_by_role("link", name="Inbox")
    inbox_link.click()
    items = buyer_page.locator("ul.inbox > li")
    expect(items).to_have_count(2)
    expect(inbox_link.locator(".badge")).to_have_text("2")
    expect(items.filter(has_text="Hetian jade bangle")).to_have_count(1)

    # when a moderator hides the spam question in admin
    mod_page = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900}).new_page()
    mod_page.goto("/admin/login/?next=/admin/community/question/")
    mod_page.get_by_label("Username").fill("mod")
    mod_page.get_by_label("Password").fill(PASSWORD)
    mod_page.get_by_role("button", name="Log in").click()
    row = mod_page.locator("#result_list tbody tr", has_text="Cheap copies of this bangle")
    row.locator("input.action-select").check()
    mod_page.locator("select[name=action]").select_option("hide")
    mod_page.get_by_role("button", name="Go").click()
    expect(mod_page.get_by_text("1 question hidden.")).to_be_visible()

    # then the buyer's inbox shows only the other invitation, and the badge says 1
    buyer_page.reload()
    expect(items).to_have_count(1)
    expect(items.first).to_contain_text("Yixing clay teapot")
    expect(buyer_page.get_by_text("Hetian jade bangle")).to_have_count(0)
    expect(inbox_link.locator(".badge")).to_have_text("1")
    _shot(buyer_page, "after-hide", tmp_path)

    # and the remaining invitation opens its question (no 404 anywhere on the way)
    items.first.get_by_role("button").click()
    expect(buyer_page.get_by_role("heading", name="Does the teapot keep tea warm for long?")).to_be_visible()
    expect(inbox_link.locator(".badge")).to_have_count(0)
