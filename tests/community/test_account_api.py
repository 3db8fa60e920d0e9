"""The account endpoints a mobile app needs: edit my profile, change my password, revoke my
token (sign out everywhere)."""

import io

import pytest
from PIL import Image
from rest_framework.authtoken.models import Token

from tests.community.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _token_client(api_client, user):
    token, _ = Token.objects.get_or_create(user=user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return token


def _png() -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 40), "red").save(buffer, format="PNG")
    buffer.seek(0)
    buffer.name = "me.png"
    return buffer


def test_me_patch_edits_the_profile(api_client, user):
    _token_client(api_client, user)

    r = api_client.patch(
        "/api/v1/me/",
        {"display_name": "  Lin  ", "bio": "Tea lover", "question_invites_opt_out": True},
        format="json",
    )

    assert r.status_code == 200, r.content
    body = r.json()
    assert body["display_name"] == "Lin" and body["bio"] == "Tea lover" and body["question_invites_opt_out"] is True
    user.refresh_from_db()
    assert (user.display_name, user.bio, user.question_invites_opt_out) == ("Lin", "Tea lover", True)
    assert api_client.get("/api/v1/me/").json()["display_name"] == "Lin"


def test_me_patch_refuses_bad_values_and_changes_nothing(api_client, user):
    _token_client(api_client, user)
    before = user.display_name

    too_long = api_client.patch("/api/v1/me/", {"display_name": "x" * 61, "bio": "ok"}, format="json")
    bad_email = api_client.patch("/api/v1/me/", {"email": "not-an-email"}, format="json")

    assert too_long.status_code == 400 and "display_name" in too_long.json()["error"]["fields"]
    assert bad_email.status_code == 400 and "email" in bad_email.json()["error"]["fields"]
    user.refresh_from_db()
    assert user.display_name == before and user.bio == ""


def test_me_patch_takes_an_avatar_upload_and_refuses_a_non_image(api_client, user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    _token_client(api_client, user)

    r = api_client.patch("/api/v1/me/", {"avatar": _png()}, format="multipart")
    junk = io.BytesIO(b"not an image")
    junk.name = "x.png"
    bad = api_client.patch("/api/v1/me/", {"avatar": junk}, format="multipart")

    assert r.status_code == 200, r.content
    assert r.json()["avatar"]
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "image_invalid"
    removed = api_client.patch("/api/v1/me/", {"remove_avatar": True}, format="json")
    assert removed.json()["avatar"] is None


def test_an_avatar_is_sent_as_a_path_and_the_schema_says_so(api_client, user, settings, tmp_path):
    """The schema fuzzer refused every answer with an avatar while the schema said ``uri``
    (absolute): the API sends the path under MEDIA_URL, a ``uri-reference``."""
    settings.MEDIA_ROOT = tmp_path
    _token_client(api_client, user)
    avatar = api_client.patch("/api/v1/me/", {"avatar": _png()}, format="multipart").json()["avatar"]
    schemas = api_client.get("/api/schema/", {"format": "json"}).json()["components"]["schemas"]

    assert avatar.startswith(settings.MEDIA_URL)  # no scheme or host
    for name in ("Me", "Person", "Profile"):
        assert schemas[name]["properties"]["avatar"]["format"] == "uri-reference", name


def test_me_needs_a_sign_in(api_client):
    assert api_client.patch("/api/v1/me/", {"bio": "x"}, format="json").status_code == 401


def test_password_change_checks_the_current_one_and_ends_every_other_sign_in(api_client, client, user):
    old_token = _token_client(api_client, user)
    client.force_login(user)  # a browser signed in elsewhere
    assert client.get("/orders/").status_code == 200

    wrong = api_client.post(
        "/api/v1/auth/password/", {"current_password": "nope", "new_password": "An0ther-good-one"}, format="json"
    )
    weak = api_client.post("/api/v1/auth/password/", {"current_password": PASSWORD, "new_password": "123"})
    r = api_client.post(
        "/api/v1/auth/password/", {"current_password": PASSWORD, "new_password": "An0ther-good-one"}, format="json"
    )

    assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "wrong_password"
    assert weak.status_code == 400 and "new_password" in weak.json()["error"]["fields"]
    assert r.status_code == 200, r.content
    new_token = r.json()["token"]
    assert new_token != old_token.key
    user.refresh_from_db()
    assert user.check_password("An0ther-good-one")
    assert api_client.get("/api/v1/me/").status_code == 401  # the old token is gone
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {new_token}")
    assert api_client.get("/api/v1/me/").status_code == 200
    assert client.get("/orders/").status_code == 302  # the browser session ended


def test_token_revoke_signs_out_everywhere(api_client, client, user):
    _token_client(api_client, user)
    client.force_login(user)
    other = UserFactory()
    other_browser = type(client)()
    other_browser.force_login(other)

    r = api_client.post("/api/v1/auth/token/revoke/")

    assert r.status_code == 204
    assert not Token.objects.filter(user=user).exists()
    assert api_client.get("/api/v1/me/").status_code == 401
    assert client.get("/orders/").status_code == 302
    assert other_browser.get("/orders/").status_code == 200  # nobody else is signed out
    fresh = type(api_client)().post("/api/v1/auth/token/", {"username": user.username, "password": PASSWORD})
    assert fresh.status_code == 200 and fresh.json()["token"]
