"""Sign-in lockout on both paths (the login page and the token endpoint), per account and per
address, with Retry-After; per-user limits on posting questions, answers, follows, reviews and
voucher claims through the API (issue 13, point 4)."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.community.factories import QuestionFactory, UserFactory
from tests.marketplace.factories import VoucherFactory, make_product

pytestmark = pytest.mark.django_db

PASSWORD = "pearl-river-88"


@pytest.fixture
def limits(settings):
    settings.SIGN_IN_FAILURES_PER_ACCOUNT = 3
    settings.SIGN_IN_FAILURES_PER_IP = 5
    settings.SIGN_IN_WINDOW_SECONDS = 600
    return settings


@pytest.fixture
def mei():
    user = UserFactory(username="mei")
    user.set_password(PASSWORD)
    user.save()
    return user


def _token(username, password, ip="198.51.100.7"):
    return APIClient().post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json", REMOTE_ADDR=ip
    )


def _login(username, password, ip="198.51.100.7"):
    return Client(REMOTE_ADDR=ip).post("/accounts/login/", {"username": username, "password": password})


@pytest.mark.parametrize("attempt", [_token, _login], ids=["token", "page"])
def test_an_account_is_locked_after_its_failures_even_with_the_right_password(limits, mei, attempt):
    failures = [attempt("mei", "wrong", ip=f"198.51.100.{n}").status_code for n in range(3)]
    assert failures == ([400] * 3 if attempt is _token else [200] * 3)

    locked = attempt("MEI", PASSWORD, ip="203.0.113.50")  # another address, the right password

    assert locked.status_code == 429
    assert 0 < int(locked["Retry-After"]) <= 600
    if attempt is _token:
        assert locked.json()["error"]["code"] == "sign_in_locked"
    else:
        assert "Too many failed sign-in attempts" in locked.content.decode()
    # the other path is locked too: one rule
    other = _login if attempt is _token else _token
    assert other("mei", PASSWORD, ip="203.0.113.51").status_code == 429


@pytest.mark.parametrize("attempt", [_token, _login], ids=["token", "page"])
def test_an_address_is_locked_after_its_failures_across_accounts(limits, mei, attempt):
    for n in range(5):
        attempt(f"nobody{n}", "wrong", ip="198.51.100.9")

    assert attempt("mei", PASSWORD, ip="198.51.100.9").status_code == 429
    # a forged X-Forwarded-For does not get the address out (no proxies configured)
    forged = APIClient().post(
        "/api/v1/auth/token/",
        {"username": "mei", "password": PASSWORD},
        format="json",
        REMOTE_ADDR="198.51.100.9",
        HTTP_X_FORWARDED_FOR="1.2.3.4",
    )
    assert forged.status_code == 429
    # and another address signs in fine
    assert _token("mei", PASSWORD, ip="203.0.113.60").status_code == 200


def test_success_before_the_limit_forgets_the_account_failures(limits, mei):
    for _ in range(2):
        assert _token("mei", "wrong").status_code == 400
    assert _token("mei", PASSWORD).status_code == 200
    for _ in range(2):
        assert _token("mei", "wrong", ip="203.0.113.70").status_code == 400
    assert _token("mei", PASSWORD, ip="203.0.113.70").status_code == 200


def _api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_posting_questions_answers_and_follows_is_limited_per_user(settings):
    settings.USER_ACTION_LIMITS = {"question": "2/hour", "answer": "1/hour", "follow": "2/hour"}
    user, product = UserFactory(), make_product()
    client = _api(user)

    asked = [
        client.post("/api/v1/questions/", {"product": product.pk, "text": f"Does size {n} fit?"}).status_code
        for n in range(3)
    ]
    assert asked == [201, 201, 429]

    questions = QuestionFactory.create_batch(2, product=product)
    answered = [client.post(f"/api/v1/questions/{q.pk}/answers/", {"text": "It fits."}).status_code for q in questions]
    assert answered == [201, 429]
    limited = client.post(f"/api/v1/questions/{questions[1].pk}/answers/", {"text": "It fits."})
    assert limited.json()["error"]["code"] == "rate_limited" and int(limited["Retry-After"]) > 0

    stars = UserFactory.create_batch(3)
    followed = [client.post(f"/api/v1/users/{star.username}/follow/").status_code for star in stars]
    assert followed[:2] != [429, 429] and followed[2] == 429
    # others are not affected
    assert _api(UserFactory()).post(f"/api/v1/users/{stars[2].username}/follow/").status_code in (200, 201)


def test_voucher_claims_are_limited_per_user(settings):
    settings.USER_ACTION_LIMITS = {"voucher_claim": "1/hour"}
    user = UserFactory()
    vouchers = VoucherFactory.create_batch(2)
    claimed = [_api(user).post(f"/api/v1/vouchers/{v.pk}/claim/").status_code for v in vouchers]
    assert claimed[0] != 429 and claimed[1] == 429


def test_reviews_are_limited_per_user_before_anything_else(settings):
    from core.errors import ApplicationError
    from marketplace.services.reviews import review_create

    settings.USER_ACTION_LIMITS = {"review": "0/hour"}
    with pytest.raises(ApplicationError) as refused:
        review_create(author=UserFactory(), order_line_id=10**9, rating=5)
    assert refused.value.status == 429 and refused.value.code == "rate_limited"
