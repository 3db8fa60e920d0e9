"""One sign-up path: the sign-up page and POST /api/v1/auth/register/ both create the account
through community.services.people.user_create, so they accept and refuse the same things."""

import pytest

from community.models import User
from tests.community.factories import UserFactory

pytestmark = pytest.mark.django_db

GOOD = "pearl-river-88"


def page_signup(client, **fields):
    data = {"username": "", "display_name": "", "email": "", "password1": GOOD, "password2": GOOD, **fields}
    return client.post("/accounts/signup/", data)


def api_register(api_client, **fields):
    return api_client.post("/api/v1/auth/register/", {"password": GOOD, **fields}, format="json")


def test_the_page_and_the_api_create_the_same_account(client, api_client):
    # when one person signs up on the page and another through the API, with the same details
    page = page_signup(client, username="mei", display_name="Mei", email="mei@example.com")
    api = api_register(api_client, username="lin", display_name="Mei", email="mei@example.com")

    # then both accounts exist, alike, and can sign in with the password
    assert page.status_code == 302 and api.status_code == 201
    made = {u.username: (u.display_name, u.email, u.check_password(GOOD)) for u in User.objects.all()}
    assert made == {"mei": ("Mei", "mei@example.com", True), "lin": ("Mei", "mei@example.com", True)}


def test_a_username_taken_in_another_case_is_refused_with_the_same_message(client, api_client):
    UserFactory(username="Mei")

    page = page_signup(client, username="mei")
    api = api_register(api_client, username="MEI")

    assert page.status_code == 200 and "That username is taken." in page.content.decode()
    assert api.status_code == 409
    assert api.json()["error"]["code"] == "username_taken"
    assert api.json()["error"]["message"] == "That username is taken."
    assert api.json()["error"]["fields"] == {"username": ["That username is taken."]}
    assert User.objects.count() == 1


def test_a_weak_password_is_refused_by_the_same_validators(client, api_client):
    page = page_signup(client, username="mei", password1="123", password2="123")
    api = api_register(api_client, username="mei", password="123")

    too_short = "This password is too short. It must contain at least 8 characters."
    assert page.status_code == 200 and too_short in page.content.decode()
    assert api.status_code == 400 and api.json()["error"]["code"] == "invalid_user"
    assert too_short in api.json()["error"]["fields"]["password"]
    assert not User.objects.exists()


def test_the_page_still_asks_for_the_password_twice(client):
    page = page_signup(client, username="mei", password2="something-else-99")

    assert page.status_code == 200
    assert "The two password fields didn’t match." in page.content.decode()
    assert not User.objects.exists()
