import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_up_log_out_log_in_and_see_home(page):
    # given a visitor on the sign-up page
    page.goto("/accounts/signup/")
    page.get_by_label("Username").fill("newshopper")
    page.get_by_label("Display name").fill("New Shopper")
    page.get_by_label("Password", exact=True).fill("tea-and-pearls-42")
    page.get_by_label("Password confirmation").fill("tea-and-pearls-42")
    # when they sign up
    page.get_by_role("button", name="Sign up").click()
    # then they land on the home page, signed in
    expect(page.get_by_role("heading", name="Welcome to Jishi 集市")).to_be_visible()
    expect(page.get_by_role("navigation", name="Account")).to_contain_text("New Shopper")

    # when they log out and log back in
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    login(page, "newshopper", "tea-and-pearls-42")
    # then the home page greets them again
    expect(page.get_by_role("heading", name="Welcome to Jishi 集市")).to_be_visible()
    expect(page.get_by_role("navigation", name="Account")).to_contain_text("New Shopper")


def test_wrong_password_shows_a_clear_error(page, user):
    login_page = page
    login_page.goto("/accounts/login/")
    login_page.get_by_label("Username").fill(user.username)
    login_page.get_by_label("Password").fill("not-the-password")
    login_page.get_by_role("button", name="Log in").click()
    expect(login_page.get_by_role("alert")).to_contain_text("correct username and password")
