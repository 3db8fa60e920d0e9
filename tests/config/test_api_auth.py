import pytest

from tests.community.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_register_then_token_then_authenticated_request(api_client):
    # when a new user registers
    r = api_client.post(
        "/api/v1/auth/register/", {"username": "mei", "password": "pearl-river-88", "display_name": "Mei"}
    )
    assert r.status_code == 201, r.content
    assert r.json()["token"]
    # and exchanges the password for a token
    r = api_client.post("/api/v1/auth/token/", {"username": "mei", "password": "pearl-river-88"})
    assert r.status_code == 200
    token = r.json()["token"]
    # then an authenticated request knows who they are
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    r = api_client.get("/api/v1/me/")
    assert r.status_code == 200
    assert r.json()["username"] == "mei"


def test_unauthenticated_request_gets_a_json_error(api_client):
    r = api_client.get("/api/v1/me/")
    assert r.status_code in (401, 403)
    assert r.json()["error"]["message"]


def test_register_refuses_a_weak_password_with_a_message(api_client):
    r = api_client.post("/api/v1/auth/register/", {"username": "weak", "password": "123"})
    assert r.status_code == 400
    assert "too short" in r.json()["error"]["message"]


def test_register_refuses_a_taken_username(api_client, user):
    r = api_client.post("/api/v1/auth/register/", {"username": user.username, "password": "pearl-river-88"})
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "username_taken"


def test_bad_token_is_refused(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Token nope")
    r = api_client.get("/api/v1/me/")
    assert r.status_code == 401
    assert r.json()["error"]["message"] == "Invalid token."


def test_schema_and_docs_are_served(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/auth/register/" in schema.content
    assert client.get("/api/docs/").status_code == 200


def test_registration_is_throttled_with_a_json_429(api_client, monkeypatch):
    from rest_framework.throttling import ScopedRateThrottle

    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"register": "2/minute"})
    codes = [
        api_client.post("/api/v1/auth/register/", {"username": f"t{i}", "password": "pearl-river-88"}).status_code
        for i in range(3)
    ]
    assert codes == [201, 201, 429]
    r = api_client.post("/api/v1/auth/register/", {"username": "t9", "password": "pearl-river-88"})
    assert r.json()["error"]["code"] == "throttled"


def test_a_token_is_read_from_the_cache_and_stops_working_once_deleted(api_client, django_assert_num_queries):
    from community.services.people import user_sign_out_everywhere
    from tests.community.factories import UserFactory

    # given a shopper with an API token, used once
    user = UserFactory(username="wei")
    token = api_client.post("/api/v1/auth/token/", {"username": "wei", "password": PASSWORD}).json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api_client.get("/api/v1/products/").status_code == 200

    # when they call the API again, then the token and the person come from the cache: no query
    with django_assert_num_queries(0):
        assert api_client.get("/api/v1/products/").status_code == 200

    # when they are deactivated, then the next call is refused
    user.is_active = False
    user.save()
    assert api_client.get("/api/v1/me/").json()["error"]["message"] == "User inactive or deleted."
    user.is_active = True
    user.save()
    assert api_client.get("/api/v1/me/").json()["username"] == "wei"

    # and when they sign out everywhere (the token is deleted), the next call is refused
    user_sign_out_everywhere(user=user)
    response = api_client.get("/api/v1/me/")
    assert response.status_code == 401 and response.json()["error"]["message"] == "Invalid token."


def test_the_product_list_with_a_token_reads_token_and_answer_in_one_round_trip(
    api_client, redis_url, monkeypatch, django_assert_num_queries
):
    """core.api.ReadAheadMixin: the token's person and the cached list in one MGET, with the
    throttle's counter of the person this process last accepted the token for
    (core.api.EarlyAnswerMixin); and a deleted token is refused on the next call all the same."""
    from community.services.people import user_sign_out_everywhere
    from tests.community.factories import UserFactory
    from tests.marketplace.factories import ProductFactory
    from tests.redis_switch import RedisRoundTrips

    # given a shopper with an API token who has listed the products once
    ProductFactory(title="Silk fan")
    user = UserFactory(username="wei")
    token = api_client.post("/api/v1/auth/token/", {"username": "wei", "password": PASSWORD}).json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api_client.get("/api/v1/products/").status_code == 200

    # when they list them again, then it is one round trip and no query
    round_trips = RedisRoundTrips(monkeypatch)
    with django_assert_num_queries(0):
        response = api_client.get("/api/v1/products/")
    assert response.status_code == 200 and response.json()["results"][0]["title"] == "Silk fan"
    assert round_trips.count == 1
    monkeypatch.undo()

    # and once they sign out everywhere, the list read ahead with the token refuses it
    user_sign_out_everywhere(user=user)
    response = api_client.get("/api/v1/products/")
    assert response.status_code == 401 and response.json()["error"]["message"] == "Invalid token."
