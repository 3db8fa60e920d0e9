"""The cached product list with an API token answered before DRF builds its request
(``core.api.EarlyAnswerMixin`` on ``marketplace.api.catalogue.ProductViewSet``): the same answer
as the whole way, and everything the whole way decides — a refused token, an inactive person,
the throttles, content negotiation — decided the same."""

import pytest
from rest_framework.views import APIView

from tests.community.factories import PASSWORD, UserFactory
from tests.marketplace.factories import ProductFactory

pytestmark = pytest.mark.django_db

PRODUCTS = "/api/v1/products/?page_size=20"


@pytest.fixture
def shopper(api_client):
    """A shopper's API client with their token, and one product to list."""
    ProductFactory(title="Silk fan")
    user = UserFactory(username="wei")
    token = api_client.post("/api/v1/auth/token/", {"username": "wei", "password": PASSWORD}).json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return api_client, user


def _without_drf_requests(monkeypatch):
    """From now on DRF cannot build a request: only an early answer can be a 200."""

    def refuse(self, request, *args, **kwargs):
        raise AssertionError("DRF built its request")

    monkeypatch.setattr(APIView, "initialize_request", refuse)


HEADERS = ("Content-Type", "Allow", "Vary", "Content-Language", "X-Frame-Options", "X-Content-Type-Options")


def test_the_cached_list_is_answered_before_drf_with_the_whole_ways_body_and_headers(shopper, redis_url, monkeypatch):
    client, _user = shopper
    # given the list answered once the whole way (it was not cached: DRF built it)
    whole = client.get(PRODUCTS)
    assert whole.status_code == 200

    # when it is asked again while DRF could not build a request, then it is answered all the same
    _without_drf_requests(monkeypatch)
    early = client.get(PRODUCTS)
    assert early.status_code == 200
    assert early.content == whole.content and early.json()["results"][0]["title"] == "Silk fan"
    assert {h: early.get(h) for h in HEADERS} == {h: whole.get(h) for h in HEADERS}
    assert early["Vary"] == "Accept, Accept-Language" and early["Allow"] == "GET, POST, HEAD, OPTIONS"


def test_what_the_early_answer_does_not_decide_goes_the_whole_way(shopper, redis_url):
    client, _user = shopper
    assert client.get(PRODUCTS).status_code == 200  # cached now

    # the browsable API (by ?format= or by Accept) is DRF's renderer's
    assert client.get(PRODUCTS + "&format=api")["Content-Type"].startswith("text/html")
    assert client.get(PRODUCTS + "&%66ormat=api")["Content-Type"].startswith("text/html")
    assert client.get(PRODUCTS, HTTP_ACCEPT="text/html")["Content-Type"].startswith("text/html")
    # an Accept JSON cannot satisfy is DRF's 406
    assert client.get(PRODUCTS, HTTP_ACCEPT="image/png").status_code == 406
    # a malformed token header is DRF's 401
    client.credentials(HTTP_AUTHORIZATION="Token two words")
    assert client.get(PRODUCTS).status_code == 401


def test_an_inactive_person_and_a_deleted_token_are_refused_on_the_next_call(shopper, redis_url):
    from community.services.people import user_sign_out_everywhere

    client, user = shopper
    assert client.get(PRODUCTS).status_code == 200
    assert client.get(PRODUCTS).status_code == 200  # early

    # when the person is deactivated, then the next call is refused
    user.is_active = False
    user.save()
    response = client.get(PRODUCTS)
    assert response.status_code == 401 and response.json()["error"]["message"] == "User inactive or deleted."
    user.is_active = True
    user.save()
    assert client.get(PRODUCTS).status_code == 200

    # when their token is deleted, then the next call is refused
    user_sign_out_everywhere(user=user)
    response = client.get(PRODUCTS)
    assert response.status_code == 401 and response.json()["error"]["message"] == "Invalid token."


def test_the_throttle_counts_each_request_once_early_or_not(shopper, redis_url, monkeypatch):
    from core.throttles import UserWindowThrottle

    client, _user = shopper
    monkeypatch.setattr(UserWindowThrottle, "THROTTLE_RATES", {"anon": "100/minute", "user": "3/minute"})

    # given the list not cached (the first call reads ahead, finds no list, goes the whole way)
    # when the shopper lists four times, then the fourth is throttled: the first was counted once
    codes = [client.get(PRODUCTS).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]

    # and the throttled answer is the whole way's JSON 429 with Retry-After
    limited = client.get(PRODUCTS)
    assert limited.status_code == 429 and limited.json()["error"]["code"] == "throttled"
    assert 0 < int(limited["Retry-After"]) <= 60


def test_a_refused_token_takes_back_the_count_made_for_its_last_person(api_client, redis_url, monkeypatch):
    """The throttles are counted for the person this process last accepted the token for, in the
    round trip that reads the token; a token refused once read is not counted (DRF counts after
    authenticating), so that count is taken back."""
    from community.services.people import user_sign_out_everywhere
    from core.throttles import UserWindowThrottle

    monkeypatch.setattr(UserWindowThrottle, "THROTTLE_RATES", {"anon": "100/minute", "user": "3/minute"})
    ProductFactory(title="Silk fan")
    user = UserFactory(username="wei")

    def token() -> str:
        api_client.credentials()
        return api_client.post("/api/v1/auth/token/", {"username": "wei", "password": PASSWORD}).json()["token"]

    # given a shopper who listed twice with a token (counted twice)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token()}")
    assert [api_client.get(PRODUCTS).status_code for _ in range(2)] == [200, 200]

    # when the token is deleted and used again, then it is refused and not counted
    user_sign_out_everywhere(user=user)
    assert api_client.get(PRODUCTS).status_code == 401

    # so with a new token the shopper has one request left in the window
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token()}")
    assert [api_client.get(PRODUCTS).status_code for _ in range(2)] == [200, 429]
