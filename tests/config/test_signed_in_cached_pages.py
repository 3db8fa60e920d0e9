"""The signed-in cart and questions pages are cached per visitor (issue 14; docs/architecture.md,
"Page shells"): every write that changes what they show is visible on the next request — a
price, stock or deal change, the sale clock, the cart's own writes, vouchers, checkout; a new
question or answer, hidden content, a rename."""

import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from community.services import people as people_services
from community.services import qa as qa_services
from community.services.feeds import question_feed_rebuild
from core.visibility import Visibility
from marketplace.services import cart as cart_services
from marketplace.services import catalogue as catalogue_services
from marketplace.services import checkout as checkout_services
from marketplace.services import live_deals as live_deal_services
from marketplace.services import sales as sale_services
from tests.community.factories import PASSWORD, QuestionFactory, UserFactory
from tests.marketplace.factories import (
    DealFactory,
    ProductFactory,
    SaleEventFactory,
    VoucherFactory,
    fill_cart,
    make_live_deal,
)

pytestmark = pytest.mark.django_db

CART = "/cart/"


@pytest.fixture
def shopper(client):
    user = UserFactory(username="wei")
    assert client.login(username="wei", password=PASSWORD)
    return user


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run a write as its own committed transaction would: its cache bumps happen."""

    def run(write, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return write(*args, **kwargs)

    return run


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def cached_page(client, url: str) -> str:
    """The page, asserted to come from its cached entry (no query at all)."""
    with CaptureQueriesContext(connection) as queries:
        html = page(client, url)
    assert not queries.captured_queries, [q["sql"] for q in queries.captured_queries]
    return html


# --- the cart ---------------------------------------------------------------------------------------


def test_the_cart_page_is_cached_for_its_buyer_alone(client, shopper):
    # given two buyers with different carts, each page seen once
    fill_cart(shopper, (ProductFactory(title="Silk fan"), 1))
    other = UserFactory(username="lili")
    fill_cart(other, (ProductFactory(title="Tea bowl"), 1))
    assert "Silk fan" in page(client, CART)

    # then the next request is served from the cache, with the buyer's own links and token
    html = cached_page(client, CART)
    assert "Silk fan" in html and "Tea bowl" not in html and f'href="{shopper.get_absolute_url()}"' in html
    assert "__JISHI_CSRF_TOKEN__" not in html and 'name="csrfmiddlewaretoken"' in html

    # and the other buyer gets their own cart, never the first one's
    client.logout()
    assert client.login(username="lili", password=PASSWORD)
    html = page(client, CART)
    assert "Tea bowl" in html and "Silk fan" not in html and f'href="{other.get_absolute_url()}"' in html


def test_the_cart_page_shows_price_and_stock_changes_on_the_next_request(client, shopper, commit):
    # given a cart with two of a product, its page cached
    product = ProductFactory(title="Silk fan", price=Decimal("80.00"), stock=5)
    fill_cart(shopper, (product, 2))
    assert "¥160.00" in page(client, CART) and "¥160.00" in cached_page(client, CART)

    # when the seller changes the price, then the next request shows it
    commit(catalogue_services.product_update, product=product, price=Decimal("60.00"))
    assert "¥120.00" in page(client, CART)

    # when another buyer's order leaves one in stock, then the line says so
    other = UserFactory()
    commit(checkout_services.order_place, buyer=other, items=[(product.pk, 4)])
    assert "Only 1 of “Silk fan” left." in page(client, CART)

    # when the seller sets the stock to 0, then it is sold out
    commit(catalogue_services.product_update, product=product, stock=0)
    assert "“Silk fan” is sold out." in page(client, CART)

    # when the product is hidden, then the line says it is no longer available
    commit(catalogue_services.product_update, product=product, stock=5)
    commit(catalogue_services.product_set_visibility, obj=product, status=Visibility.HIDDEN, by=None)
    assert "“Silk fan” is no longer available." in page(client, CART)


def test_the_cart_page_shows_a_deal_approved_and_its_sale_closed(client, shopper, commit):
    # given a cart line at list price, its page cached
    product = ProductFactory(title="Silk fan", price=Decimal("80.00"), stock=5)
    fill_cart(shopper, (product, 1))
    assert "¥80.00" in page(client, CART) and "¥80.00" in cached_page(client, CART)

    # when a deal of a live sale is approved, then the next request has the deal price
    now = timezone.now()
    sale = SaleEventFactory(starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1))
    deal = DealFactory(sale=sale, product=product, percent_off=50, deal_price=None, status="pending")
    commit(sale_services.deal_moderate, deal_ids=[deal.pk], approve=True)
    html = page(client, CART)
    assert "¥40.00" in html and "<del>¥80.00</del>" in html

    # when a moderator ends the sale early, then the list price is back
    sale.ends_at = timezone.now()
    commit(sale_services.sale_save, sale=sale)
    html = page(client, CART)
    assert "¥80.00" in html and "¥40.00" not in html


def test_the_cart_page_follows_the_sale_clock(client, shopper):
    # given a line whose deal's sale starts in a moment and ends a moment later, the page cached
    product = ProductFactory(title="Silk fan", price=Decimal("80.00"), stock=5)
    fill_cart(shopper, (product, 1))
    starts_at = timezone.now() + timedelta(seconds=1)
    sale = SaleEventFactory(starts_at=starts_at, ends_at=starts_at + timedelta(seconds=1))
    DealFactory(sale=sale, product=product, percent_off=50, deal_price=None)
    assert "¥40.00" not in page(client, CART)

    # when the sale starts, then the next request has the deal price (nothing was written)
    time.sleep(max(0, (starts_at - timezone.now()).total_seconds()) + 0.05)
    assert "¥40.00" in page(client, CART)

    # and when it ends, the list price
    time.sleep(max(0, (sale.ends_at - timezone.now()).total_seconds()) + 0.05)
    html = page(client, CART)
    assert "¥80.00" in html and "¥40.00" not in html


def test_the_cart_page_shows_flash_units_running_out(client, shopper, commit):
    # given a line of 2 at a flash deal with 3 units, the page cached
    product = ProductFactory(title="Silk fan", price=Decimal("80.00"), stock=50)
    make_live_deal(product, flash_quantity=3)
    fill_cart(shopper, (product, 2))
    assert "¥120.00" in page(client, CART) and "left at the sale price" not in cached_page(client, CART)

    # when another buyer takes 2 of the 3 units, then the line says only 1 is left at that price
    commit(checkout_services.order_place, buyer=UserFactory(), items=[(product.pk, 2)])
    assert "Only 1 of “Silk fan” left at the sale price." in page(client, CART)


def test_the_cart_page_shows_lines_added_changed_removed_and_checked_out(client, shopper, commit):
    # given a cart with one line, its page cached
    fan, bowl = ProductFactory(title="Silk fan", stock=9), ProductFactory(title="Tea bowl", stock=9)
    fill_cart(shopper, (fan, 1))
    assert "Tea bowl" not in page(client, CART)

    # when a line is added (another tab, the app: the same service), then the next request has it
    commit(cart_services.cart_item_add, user=shopper, product_id=bowl.pk, quantity=2)
    html = page(client, CART)
    assert "Tea bowl" in html and 'name="quantity" value="2"' in html

    # when its quantity changes, then so does the page
    commit(cart_services.cart_item_set_quantity, user=shopper, product_id=bowl.pk, quantity=3)
    assert 'name="quantity" value="3"' in page(client, CART)

    # when a line is removed, then it is gone
    commit(cart_services.cart_item_remove, user=shopper, product_id=fan.pk)
    html = page(client, CART)
    assert "Silk fan" not in html and "Tea bowl" in html

    # when the buyer checks out (the API), then the cart is empty
    commit(checkout_services.cart_checkout, buyer=shopper)
    assert "Your cart is empty." in page(client, CART)


def test_the_cart_page_shows_a_voucher_claimed_and_ended(client, shopper, commit):
    # given a line of a shop with a voucher on offer, the page cached without a voucher prompt
    product = ProductFactory(title="Silk fan", price=Decimal("80.00"), stock=5)
    fill_cart(shopper, (product, 1))
    voucher = VoucherFactory(shop=product.shop, min_spend=Decimal("100.00"), discount=Decimal("15.00"))
    assert "Spend" not in page(client, CART)

    # when the buyer claims it, then the next request says how much more to spend
    commit(sale_services.voucher_claim, user=shopper, voucher_id=voucher.pk)
    assert "Spend ¥20.00 more at this shop for ¥15.00 off." in page(client, CART)

    # when the shop ends it, then the prompt is gone
    commit(sale_services.voucher_end, user=product.shop.owner, voucher_id=voucher.pk)
    assert "Spend" not in page(client, CART)


def test_the_cart_page_follows_a_claimed_voucher_becoming_valid(client, shopper, commit):
    # given a claimed voucher that becomes valid in a moment, the page cached without its prompt
    product = ProductFactory(title="Silk fan", price=Decimal("80.00"), stock=5)
    fill_cart(shopper, (product, 1))
    valid_from = timezone.now() + timedelta(seconds=1)
    voucher = VoucherFactory(shop=product.shop, valid_from=valid_from, min_spend=Decimal("50.00"))
    commit(sale_services.voucher_claim, user=shopper, voucher_id=voucher.pk)
    assert "Your voucher takes" not in page(client, CART)

    # when it becomes valid, then the next request says what it takes off
    time.sleep(max(0, (valid_from - timezone.now()).total_seconds()) + 0.05)
    assert "Your voucher takes ¥10.00 off" in page(client, CART)


def test_the_cart_page_shows_a_live_room_price_once_claimed(client, shopper, commit):
    # given a line with a room-only deal the buyer has not claimed, the page cached
    product = ProductFactory(title="Silk fan", price=Decimal("80.00"), stock=5)
    fill_cart(shopper, (product, 1))
    deal = commit(
        live_deal_services.live_deal_create,
        product=product,
        audience="room:1",
        price="50.00",
        quantity=None,
        minutes=10,
    )
    assert "¥50.00" not in page(client, CART)

    # when the buyer claims it in the room, then the next request has the room price
    commit(live_deal_services.live_deal_claim, deal=deal, buyer=shopper)
    assert "¥50.00" in page(client, CART)

    # and when the room ends the deal, the list price is back
    commit(live_deal_services.live_deal_end, deal=deal)
    assert "¥50.00" not in page(client, CART)


# --- the questions page -----------------------------------------------------------------------------

QUESTIONS = "/questions/"


@pytest.fixture
def feed(shopper):
    """A question from someone else in the shopper's rebuilt "for you" feed (the job's rebuild)."""
    question = QuestionFactory(text="Does the silk fan fold flat?")
    question_feed_rebuild(user_id=shopper.pk, now=timezone.now())
    return question


def test_the_questions_page_is_cached_for_its_reader_alone(client, shopper, feed):
    # given the shopper's page seen once
    assert feed.text in page(client, QUESTIONS)

    # then the next request is served from the cache with their links
    html = cached_page(client, QUESTIONS)
    assert feed.text in html and f'href="{shopper.get_absolute_url()}"' in html

    # and someone else with another feed gets theirs (a cold start here: the popular questions)
    other = UserFactory(username="lili")
    mine = QuestionFactory(text="Is the tea bowl glazed inside?", author=shopper)
    client.logout()
    assert client.login(username="lili", password=PASSWORD)
    html = page(client, QUESTIONS)
    assert f'href="{other.get_absolute_url()}"' in html and mine.text in html


def test_the_questions_page_shows_a_new_question_once_routed(client, shopper, feed, commit):
    # given the page cached
    assert feed.text in page(client, QUESTIONS)

    # when someone asks a new question and the shopper's feed is rebuilt (the job), then it shows
    product = ProductFactory(title="Tea bowl")
    question = commit(
        qa_services.question_ask, author=UserFactory(), product=product, text="Is the tea bowl glazed inside?"
    )
    commit(question_feed_rebuild, user_id=shopper.pk, now=timezone.now())
    html = page(client, QUESTIONS)
    assert question.text in html and feed.text in html


def test_the_questions_page_shows_answers_and_accepts(client, shopper, feed, commit):
    # given the page cached: an open question with no answer
    assert "0 answers · open" in page(client, QUESTIONS)

    # when someone answers it, then the next request counts the answer
    answer = commit(qa_services.answer_post, author=UserFactory(), question=feed, text="Yes, flat as a card.")
    assert "1 answer · open" in page(client, QUESTIONS)

    # when the asker accepts it, then it is no longer open
    commit(qa_services.answer_accept, user=feed.author, answer=answer)
    html = page(client, QUESTIONS)
    assert "1 answer ·" in html and "open" not in html.split(feed.text)[1].split("</li>")[0]

    # when a moderator hides the answer, then it is not counted
    commit(qa_services.answer_set_visibility, obj=answer, status=Visibility.HIDDEN, by=None)
    assert "0 answers" in page(client, QUESTIONS)


def test_the_questions_page_drops_what_is_hidden_or_answered(client, shopper, commit):
    # given three questions in the shopper's feed, the page cached
    hidden, off_sale, answered = (QuestionFactory(text=f"Question number {n} about it?") for n in range(3))
    question_feed_rebuild(user_id=shopper.pk, now=timezone.now())
    assert all(q.text in page(client, QUESTIONS) for q in (hidden, off_sale, answered))

    # when a moderator hides one, then the next request leaves it out
    commit(qa_services.question_set_visibility, obj=hidden, status=Visibility.HIDDEN, by=None)
    html = page(client, QUESTIONS)
    assert hidden.text not in html and off_sale.text in html

    # when another's product is taken off sale, then its question goes too
    commit(catalogue_services.product_set_visibility, obj=off_sale.product, status=Visibility.HIDDEN, by=None)
    html = page(client, QUESTIONS)
    assert off_sale.text not in html and answered.text in html

    # when the shopper answers the last one, then it leaves their feed
    commit(qa_services.answer_post, author=shopper, question=answered, text="It fits well.")
    html = page(client, QUESTIONS)
    assert answered.text not in html and "No questions yet." in html


def test_the_questions_page_shows_a_renamed_author_and_product(client, shopper, feed, commit):
    # given the page cached
    assert feed.text in page(client, QUESTIONS)

    # when the asker changes their name, then the next request shows it
    commit(people_services.user_profile_update, user=feed.author, display_name="Auntie Mei")
    assert "asked by Auntie Mei" in page(client, QUESTIONS)

    # when the seller renames the product, then so is it
    commit(catalogue_services.product_update, product=feed.product, title="Folding silk fan")
    assert "Folding silk fan" in page(client, QUESTIONS)


# --- what a cached page costs -----------------------------------------------------------------------


def test_a_cached_cart_or_questions_page_is_one_cache_round_trip_for_a_returning_visitor(
    client, shopper, feed, redis_url, monkeypatch
):
    """The page's key names the visitor, so the session comes first; for a session this process
    served, it is read with the shell it led to then (core.pages.visitor_shell_ahead)."""
    from tests.marketplace.test_anonymous_page_cache import RedisRoundTrips

    fill_cart(shopper, (ProductFactory(title="Silk fan"), 1))
    for url, shown in ((CART, "Silk fan"), (QUESTIONS, feed.text)):
        assert shown in page(client, url)
        round_trips = RedisRoundTrips(monkeypatch)
        assert shown in cached_page(client, url)
        assert round_trips.count == 1, url
        monkeypatch.undo()


def test_a_wrong_guess_of_whose_session_it_is_serves_the_right_page(client, shopper, feed, redis_url, monkeypatch):
    """A session this process remembers as someone else's (who was served from it before) gets
    the page of the person it holds now, at the cost of the second round trip."""
    from core import pages
    from tests.marketplace.test_anonymous_page_cache import RedisRoundTrips

    # given another buyer whose cart page is cached, and the shopper's seen once
    other = UserFactory(username="lili")
    fill_cart(other, (ProductFactory(title="Tea bowl"), 1))
    fill_cart(shopper, (ProductFactory(title="Silk fan"), 1))
    client.logout()
    assert client.login(username="lili", password=PASSWORD)
    assert "Tea bowl" in page(client, CART)
    other_session = client.cookies["sessionid"].value
    client.logout()
    assert client.login(username="wei", password=PASSWORD)
    assert "Silk fan" in page(client, CART)
    # when this process guesses the shopper's session to be the other buyer's
    remembered = pages._session_users
    mine = next(key for key in remembered if key.endswith(client.cookies["sessionid"].value))
    remembered[mine] = remembered[next(key for key in remembered if key.endswith(other_session))]
    round_trips = RedisRoundTrips(monkeypatch)
    html = cached_page(client, CART)
    # then the shopper gets their own cart, never the guessed buyer's
    assert "Silk fan" in html and "Tea bowl" not in html and f'href="{shopper.get_absolute_url()}"' in html
    assert round_trips.count == 2
