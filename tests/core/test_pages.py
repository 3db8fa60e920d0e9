"""Page shells (core/pages.py): a browsing page is cached whole for signed-in visitors too, and
each visitor still gets their own account links, badge, CSRF token and messages; the signed-in
user and badge come from the cache and follow every write that changes them."""

import re

import pytest
from django.db import connection
from django.middleware.csrf import _unmask_cipher_token
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from community.services.notifications import notification_create, notifications_mark_read
from community.services.people import user_sign_out_everywhere
from community.services.qa import question_route_to_buyers, question_set_visibility
from core.visibility import Visibility
from tests.community.factories import PASSWORD, NotificationFactory, QuestionFactory, UserFactory, make_purchase
from tests.marketplace.factories import ProductFactory

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def signed_in(username: str, *, unread: int = 0):
    user = UserFactory(username=username, display_name=username.title())
    for _ in range(unread):
        NotificationFactory(recipient=user)
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return user, client


def badge(html: str) -> str | None:
    found = re.search(r'<span class="badge" aria-label="[^"]*">(\d+)</span>', html)
    return found.group(1) if found else None


def test_two_shoppers_share_the_cached_page_but_each_sees_their_own_header_and_token(django_assert_num_queries):
    # given a product page, and two signed-in shoppers with different inboxes
    product = ProductFactory(title="Pearl necklace")
    _, mei = signed_in("mei", unread=2)
    _, wei = signed_in("wei")
    assert mei.get(product.get_absolute_url()).status_code == 200  # builds the shell

    # when the second shopper opens it again (their view recorded once), then it costs no query
    wei.get(product.get_absolute_url())
    with django_assert_num_queries(0):
        html_wei = wei.get(product.get_absolute_url()).content.decode()
    html_mei = mei.get(product.get_absolute_url()).content.decode()

    # and each sees the page, their own name and badge, and their own CSRF token in every form
    for html, name, count, client in ((html_wei, "Wei", None, wei), (html_mei, "Mei", "2", mei)):
        assert "Pearl necklace" in html and f">{name}</a>" in html and badge(html) == count
        assert "<!--jishi-account-->" not in html and "__JISHI_CSRF_TOKEN__" not in html
        # every form carries this visitor's secret (each token is masked differently)
        assert {_unmask_cipher_token(token) for token in TOKEN.findall(html)} == {client.cookies["csrftoken"].value}
    assert wei.cookies["csrftoken"].value != mei.cookies["csrftoken"].value


def test_the_forms_of_a_cached_page_and_its_voucher_box_carry_one_token_masked_once():
    """core.pages.csrf_token: masking costs 32 random characters from the OS, so one request's
    forms (the page's and the voucher box slot's) share one masked token; a new request, another."""
    from decimal import Decimal

    from tests.marketplace.factories import ShopFactory, VoucherFactory

    # given a product whose shop offers a voucher, and a signed-in shopper who has seen the page
    shop = ShopFactory(name="Meimei Pearls")
    product = ProductFactory(title="Pearl necklace", shop=shop)
    VoucherFactory(shop=shop, min_spend=Decimal(100), discount=Decimal(10))
    _, wei = signed_in("wei")
    wei.get(product.get_absolute_url())

    # when they open it twice more
    pages = [wei.get(product.get_absolute_url()).content.decode() for _ in range(2)]

    # then each page's forms (cart, voucher, sign-out) carry one token of this visitor's secret,
    # and the two pages carry different maskings of it
    tokens = [set(TOKEN.findall(html)) for html in pages]
    assert "Shop vouchers" in pages[0] and len(TOKEN.findall(pages[0])) >= 3
    assert all(len(found) == 1 for found in tokens) and tokens[0] != tokens[1]
    assert {_unmask_cipher_token(token) for found in tokens for token in found} == {wei.cookies["csrftoken"].value}


@pytest.mark.parametrize("vouchers", [1, 4])
def test_a_cached_signed_in_page_is_one_cache_round_trip_and_no_query(redis_url, monkeypatch, vouchers):
    """The shell with the session, the user and the visitor's voucher box, all read ahead in one
    MGET: the process guesses the user and slot entries from the session's last visit
    (core.pages.read_ahead_shell); each used to be a round trip of its own, then two."""
    from decimal import Decimal

    from tests.marketplace.factories import ShopFactory, VoucherFactory
    from tests.marketplace.test_anonymous_page_cache import RedisRoundTrips

    # given a product whose shop offers vouchers, and a signed-in shopper who has seen the page
    shop = ShopFactory(name="Meimei Pearls")
    product = ProductFactory(title="Pearl necklace", shop=shop)
    for i in range(vouchers):
        VoucherFactory(shop=shop, min_spend=Decimal(100 + i), discount=Decimal(10 + i))
    _, wei = signed_in("wei", unread=1)
    for url in (product.get_absolute_url(), shop.get_absolute_url(), reverse("home")):
        wei.get(url)

        # when they open it again
        round_trips = RedisRoundTrips(monkeypatch)
        with CaptureQueriesContext(connection) as queries:
            html = wei.get(url).content.decode()

        # then it is their page (name, badge, the shop's vouchers to claim) from one round trip
        # and no query (but the shop page's follow button: whether they follow it, one query)
        assert ">Wei</a>" in html and badge(html) == "1"
        assert url == reverse("home") or "Shop vouchers" in html
        assert len(queries) == (1 if url == shop.get_absolute_url() else 0), queries.captured_queries
        assert round_trips.count == 1, url
        monkeypatch.undo()


def test_a_signed_in_page_reads_what_the_session_says_when_the_guess_is_wrong_or_missing(redis_url, monkeypatch):
    """core.pages.read_ahead_shell's guess is only what to read ahead: a session this process has
    not seen is two round trips, and a guess of another user serves the session's own user."""
    from decimal import Decimal

    from core import pages
    from tests.marketplace.factories import ShopFactory, VoucherFactory
    from tests.marketplace.test_anonymous_page_cache import RedisRoundTrips

    # given a product page with a voucher, seen by two signed-in shoppers
    shop = ShopFactory(name="Meimei Pearls")
    product = ProductFactory(title="Pearl necklace", shop=shop)
    VoucherFactory(shop=shop, min_spend=Decimal(100), discount=Decimal(10))
    _, wei = signed_in("wei", unread=1)
    mei_user, mei = signed_in("mei")
    url = product.get_absolute_url()
    wei.get(url)
    mei.get(url)

    # when the process forgets whom the sessions held, then the next page is two round trips
    pages._session_users.clear()
    round_trips = RedisRoundTrips(monkeypatch)
    html = wei.get(url).content.decode()
    assert ">Wei</a>" in html and badge(html) == "1" and round_trips.count == 2
    monkeypatch.undo()

    # when it guesses Mei for Wei's session, then Wei still gets his own page (one more round trip)
    wei_session = next(key for key, user in pages._session_users.items() if user != str(mei_user.pk))
    pages._session_users[wei_session] = str(mei_user.pk)
    round_trips = RedisRoundTrips(monkeypatch)
    html = wei.get(url).content.decode()
    assert ">Wei</a>" in html and ">Mei</a>" not in html and badge(html) == "1" and "Shop vouchers" in html
    assert round_trips.count == 2
    monkeypatch.undo()

    # and the guess is right again for the next page
    round_trips = RedisRoundTrips(monkeypatch)
    assert ">Wei</a>" in wei.get(url).content.decode() and round_trips.count == 1


def test_a_message_waiting_is_shown_once_on_a_cached_page(client):
    # given a signed-in shopper whose product page shell is cached
    product = ProductFactory(stock=5)
    UserFactory(username="wei")
    assert client.login(username="wei", password=PASSWORD)
    client.get(product.get_absolute_url())

    # when a cart form sent from the page is refused and they are sent back to it
    response = client.post(
        reverse("marketplace:cart_add"),
        {"product": product.pk, "quantity": "abc", "next": product.get_absolute_url()},
        follow=True,
    )

    # then the page shows the message, and the next request (from the shell) does not
    assert response.redirect_chain[-1][0] == product.get_absolute_url()
    assert 'class="messages"' in response.content.decode() and "whole number" in response.content.decode()
    again = client.get(product.get_absolute_url()).content.decode()
    assert 'class="messages"' not in again and product.title in again


def test_the_cached_badge_follows_every_change_to_the_inbox():
    # given a past buyer invited to answer a question, seen on a cached page
    question = QuestionFactory()
    buyer, client = signed_in("buyer")
    make_purchase(buyer, question.product)
    assert question_route_to_buyers(question_id=question.pk) == [buyer.pk]
    home = reverse("home")
    assert badge(client.get(home).content.decode()) == "1"

    # when a notification arrives, then the next page counts it
    notification_create(recipient=buyer, kind="other", title="Parcel")
    assert badge(client.get(home).content.decode()) == "2"
    # when a moderator hides the question, its invitation leaves the badge
    question_set_visibility(obj=question, status=Visibility.HIDDEN, by=None)
    assert badge(client.get(home).content.decode()) == "1"
    # when it is restored, it comes back
    question_set_visibility(obj=question, status=Visibility.VISIBLE, by=None)
    assert badge(client.get(home).content.decode()) == "2"
    # when the author deletes it, it leaves again
    question.delete()
    assert badge(client.get(home).content.decode()) == "1"
    # and when they read everything, the badge goes
    notifications_mark_read(user=buyer)
    assert badge(client.get(home).content.decode()) is None


def test_signing_out_everywhere_ends_other_sessions_on_their_next_request():
    # given a shopper signed in on two browsers, both seen once (their user entry cached)
    user, laptop = signed_in("wei")
    phone = Client()
    assert phone.login(username="wei", password=PASSWORD)
    for browser in (laptop, phone):
        assert ">Wei</a>" in browser.get(reverse("home")).content.decode()

    # when they sign out everywhere
    user_sign_out_everywhere(user=user)

    # then both browsers are signed out on their next request
    for browser in (laptop, phone):
        html = browser.get(reverse("home")).content.decode()
        assert ">Wei</a>" not in html and reverse("login") in html


def test_a_renamed_shopper_sees_the_new_name_on_the_next_page():
    user, client = signed_in("wei")
    assert ">Wei</a>" in client.get(reverse("home")).content.decode()
    user.display_name = "Wei the Pearl Diver"
    user.save()
    assert ">Wei the Pearl Diver</a>" in client.get(reverse("home")).content.decode()


def test_a_deactivated_shopper_is_signed_out_on_the_next_request():
    user, client = signed_in("wei")
    assert client.get(reverse("marketplace:order_list")).status_code == 200
    user.is_active = False
    user.save()
    assert client.get(reverse("marketplace:order_list")).status_code == 302


def test_the_cached_user_holds_no_password_hash_and_a_password_check_still_works(client):
    # given a signed-in shopper whose user entry is cached
    import pickle

    from django.core.cache import cache

    user, client = signed_in("wei")
    assert client.get(reverse("home")).status_code == 200

    # then the entry has no password hash, but the session check needs none
    entry = cache.get(f"com:signed-in:{user.pk}")
    cached_user = entry[-1]
    assert "password" not in cached_user.__dict__ and user.password not in str(pickle.dumps(entry))
    assert ">Wei</a>" in client.get(reverse("home")).content.decode()

    # and checking the password reads it from the database (a deferred field), saving leaves it be
    assert cached_user.check_password(PASSWORD)
    cached_user.display_name = "Wei Wei"
    cached_user.save()
    user.refresh_from_db()
    assert user.check_password(PASSWORD) and user.display_name == "Wei Wei"


def test_a_csrf_token_is_djangos_masking_drawn_from_one_call_to_the_os(monkeypatch):
    """core.pages.csrf_token masks like django.middleware.csrf.get_token — a token Django's
    middleware reads back to the secret, the cookie flagged for renewal, a new secret when the
    visitor has none — with the mask's 32 random characters from one os.urandom call (Django's
    get_random_string made one per character)."""
    import os
    from collections import Counter

    from django.middleware.csrf import CSRF_ALLOWED_CHARS
    from django.test import RequestFactory

    from core import pages

    calls = []
    urandom = os.urandom

    def counted(size):
        calls.append(size)
        return urandom(size)

    monkeypatch.setattr(os, "urandom", counted)
    secret = "abcdefghijABCDEFGHIJ0123456789ab"

    # given a request that brought its CSRF cookie, when its token is made
    request = RequestFactory().get("/")
    request.META["CSRF_COOKIE"] = secret
    token = pages.csrf_token(request)

    # then it is a masking of that secret, the cookie is to be renewed, and the OS was called once
    assert len(token) == 64 and set(token) <= set(CSRF_ALLOWED_CHARS)
    assert _unmask_cipher_token(token) == secret and request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True
    assert len(calls) == 1

    # and a request without the cookie gets a new secret, as Django's get_token gives it
    fresh = RequestFactory().get("/")
    token = pages.csrf_token(fresh)
    new_secret = fresh.META["CSRF_COOKIE"]
    assert len(new_secret) == 32 and set(new_secret) <= set(CSRF_ALLOWED_CHARS) and new_secret != secret
    assert _unmask_cipher_token(token) == new_secret and fresh.META["CSRF_COOKIE_NEEDS_UPDATE"] is True

    # and over many maskings every character turns up about equally often (no bias to the first ones)
    counts = Counter()
    for _ in range(400):
        counts.update(pages.csrf_token(RequestFactory().get("/"))[:32])
    assert set(counts) == set(CSRF_ALLOWED_CHARS)
    assert max(counts.values()) < 2 * min(counts.values())
