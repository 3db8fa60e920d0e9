"""Peer Q&A in a real browser: a shopper asks on a product page; a past buyer is invited, signs
in, sees the invitation and answers; the shopper sees the answer with the verified-buyer badge
and votes it helpful."""

import pytest
from playwright.sync_api import expect

from community.models import Answer, QuestionInvitation
from config.celery import app
from tests.community.factories import PASSWORD, UserFactory, make_purchase
from tests.e2e.conftest import login
from tests.marketplace.factories import ProductFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def eager_celery():
    """Run queued tasks in the web process (the routing task runs on commit of the question)."""
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def test_ask_get_an_answer_from_a_verified_buyer_and_vote_it_helpful(page, browser, live_server, eager_celery):
    # given a product, someone who bought it, and a shopper
    product = ProductFactory(title="Hetian jade bangle")
    buyer = UserFactory(username="lili", display_name="Lili")
    make_purchase(buyer, product)
    shopper = UserFactory(username="wei", display_name="Wei")

    # when the shopper asks a question from the product page
    login(page, shopper.username, PASSWORD)
    page.goto(product.get_absolute_url())
    page.get_by_role("link", name="Questions about this product").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Questions about Hetian jade bangle")
    page.get_by_label("Your question").fill("Is the inner diameter really 56 mm?")
    page.get_by_role("button", name="Ask").click()
    expect(page.get_by_role("status")).to_contain_text("Your question is posted")
    expect(page.get_by_role("heading", name="Is the inner diameter really 56 mm?")).to_be_visible()
    assert QuestionInvitation.objects.filter(invitee=buyer).count() == 1

    # then the buyer, signing in, has an unread notification and the invitation
    buyer_context = browser.new_context(base_url=live_server.url)
    buyer_context.set_default_timeout(15_000)
    buyer_page = buyer_context.new_page()
    login(buyer_page, buyer.username, PASSWORD)
    account = buyer_page.get_by_role("navigation", name="Account")
    expect(account.get_by_role("link", name="Inbox")).to_contain_text("1")
    account.get_by_role("link", name="Inbox").click()
    buyer_page.get_by_role("button", name="You bought Hetian jade bangle: can you answer a question about it?").click()
    expect(buyer_page.get_by_role("heading", name="Is the inner diameter really 56 mm?")).to_be_visible()

    # when the buyer answers (the invitation is listed under "questions you can answer" too)
    buyer_page.goto("/questions/to-answer/")
    buyer_page.get_by_role("link", name="Answer").click()
    buyer_page.get_by_label("Your answer").fill("Yes, 56 mm; it slid over my hand with a little soap.")
    buyer_page.get_by_role("button", name="Post answer").click()
    expect(buyer_page.get_by_role("status")).to_contain_text("Thanks for answering")
    buyer_page.goto("/questions/to-answer/")
    expect(buyer_page.get_by_text("No open invitations right now.")).to_be_visible()
    buyer_context.close()

    # then the shopper sees the answer with the verified-buyer badge
    page.goto(f"/products/{product.pk}/questions/")
    answer = page.locator(".qa-answer", has_text="it slid over my hand")
    expect(answer).to_be_visible()
    expect(answer.get_by_text("Verified buyer")).to_be_visible()

    # and votes it helpful
    answer.get_by_role("button", name="Helpful (0)", exact=True).click()
    answer = page.locator(".qa-answer", has_text="it slid over my hand")
    expect(answer.get_by_role("button", name="Helpful (1)", exact=True)).to_have_attribute("aria-pressed", "true")
    assert Answer.objects.get(author=buyer).helpful_count == 1
