"""The community API: contracts (status, body, rows afterwards) and pinned query counts."""

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token

from community.models import Activity, Answer, AnswerVote, Notification, Question, ShopFollow, UserFollow
from community.services.feeds import question_feed_rebuild
from core.visibility import Visibility
from tests.community.factories import (
    ActivityFactory,
    AnswerFactory,
    NotificationFactory,
    QuestionFactory,
    QuestionInvitationFactory,
    UserFactory,
    UserFollowFactory,
    make_purchase,
)
from tests.marketplace.factories import ProductFactory, ShopFactory

pytestmark = pytest.mark.django_db

SIZES = [5, 50]


@pytest.fixture
def authed(api_client, user):
    """An API client sending ``user``'s token, used once: the token and its person then come from
    the cache (community/authentication.py), so the pins below count no query for them."""
    token, _ = Token.objects.get_or_create(user=user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api_client.get("/api/v1/me/").status_code == 200
    return api_client


# --- people ----------------------------------------------------------------------------------


def test_profile(api_client):
    seller = UserFactory(display_name="Meimei")
    ShopFactory(owner=seller, slug="pearls", name="Pearls")
    UserFollowFactory(user=seller)
    AnswerFactory(author=seller)
    r = api_client.get(f"/api/v1/users/{seller.username}/")
    assert r.status_code == 200
    body = r.json()
    assert body["display_name"] == "Meimei"
    assert body["follower_count"] == 1 and body["post_count"] == 1
    assert body["roles"] == ["seller", "blogger"]
    assert body["shop"]["slug"] == "pearls"
    assert body["is_followed"] is False


def test_follow_and_unfollow_a_user(authed, user):
    other = UserFactory()
    r = authed.post(f"/api/v1/users/{other.username}/follow/")
    assert r.status_code == 200 and r.json() == {"following": True, "changed": True}
    assert authed.post(f"/api/v1/users/{other.username}/follow/").json()["changed"] is False
    assert UserFollow.objects.filter(follower=user, user=other).count() == 1
    assert authed.get(f"/api/v1/users/{other.username}/").json()["is_followed"] is True
    assert authed.delete(f"/api/v1/users/{other.username}/follow/").json() == {"following": False, "changed": True}
    assert not UserFollow.objects.exists()


def test_following_yourself_is_a_400(authed, user):
    r = authed.post(f"/api/v1/users/{user.username}/follow/")
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "self_follow"


def test_follow_a_shop_reports_the_count(authed, user):
    shop = ShopFactory(slug="tea-house")
    r = authed.post("/api/v1/shops/tea-house/follow/")
    assert r.status_code == 200
    assert r.json() == {"following": True, "changed": True, "follower_count": 1}
    assert authed.post("/api/v1/shops/tea-house/follow/").json()["follower_count"] == 1
    assert authed.delete("/api/v1/shops/tea-house/follow/").json()["follower_count"] == 0
    assert not ShopFollow.objects.filter(shop=shop).exists()


def test_follow_needs_a_token(api_client):
    ShopFactory(slug="tea-house")
    assert api_client.post("/api/v1/shops/tea-house/follow/").status_code == 401


@pytest.mark.parametrize("n", SIZES)
def test_follower_list_query_count(api_client, django_assert_num_queries, n):
    person = UserFactory()
    UserFollowFactory.create_batch(n, user=person)
    with django_assert_num_queries(3):  # person, count, page
        r = api_client.get(f"/api/v1/users/{person.username}/followers/")
    assert r.json()["count"] == n
    assert len(r.json()["results"]) == min(n, 20)


def test_following_list(api_client):
    person = UserFactory()
    followed = UserFollowFactory(follower=person).user
    r = api_client.get(f"/api/v1/users/{person.username}/following/")
    assert [p["username"] for p in r.json()["results"]] == [followed.username]


# --- activity --------------------------------------------------------------------------------


@pytest.mark.parametrize("n", SIZES)
def test_my_activity_list_and_clear(authed, user, django_assert_num_queries, n):
    ActivityFactory.create_batch(n, user=user)
    ActivityFactory()  # someone else's
    with django_assert_num_queries(2):  # count, page (the token from the cache)
        r = authed.get("/api/v1/me/activity/")
    assert r.json()["count"] == n
    assert {row["kind"] for row in r.json()["results"]} == {"viewed"}
    r = authed.delete("/api/v1/me/activity/")
    assert r.status_code == 200 and r.json() == {"deleted": n}
    assert Activity.objects.count() == 1


# --- notifications ---------------------------------------------------------------------------


@pytest.mark.parametrize("n", SIZES)
def test_notification_list_query_count(authed, user, django_assert_num_queries, n):
    NotificationFactory.create_batch(n, recipient=user)
    NotificationFactory()  # someone else's
    authed.get("/api/v1/me/")  # their new notifications rebuilt the cached token entry (the badge)
    with django_assert_num_queries(2):  # count, page (the token from the cache)
        r = authed.get("/api/v1/notifications/")
    assert r.json()["count"] == n
    assert r.json()["results"][0]["is_read"] is False


def test_mark_one_and_all_read(authed, user, django_capture_on_commit_callbacks):
    first, _second = NotificationFactory.create_batch(2, recipient=user)
    with django_capture_on_commit_callbacks(execute=True):
        r = authed.post(f"/api/v1/notifications/{first.pk}/read/")
    assert r.status_code == 200 and r.json() == {"marked": 1, "unread_count": 1}
    with django_capture_on_commit_callbacks(execute=True):
        r = authed.post("/api/v1/notifications/read-all/")
    assert r.json() == {"marked": 1, "unread_count": 0}


def test_someone_elses_notification_is_404(authed):
    other = NotificationFactory()
    r = authed.post(f"/api/v1/notifications/{other.pk}/read/")
    assert r.status_code == 404
    assert Notification.objects.get(pk=other.pk).read_at is None


# --- questions and answers -------------------------------------------------------------------


def test_ask_answer_vote_accept_round_trip(api_client, authed, user):
    # given a product and a buyer with a token
    product = ProductFactory()
    buyer = UserFactory()
    make_purchase(buyer, product)
    buyer_client = type(api_client)()
    buyer_client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=buyer).key}")
    # when the user asks
    r = authed.post("/api/v1/questions/", {"product": product.pk, "text": "Does the colour run in the wash?"})
    assert r.status_code == 201, r.json()
    question_id = r.json()["id"]
    # and the buyer answers
    r = buyer_client.post(f"/api/v1/questions/{question_id}/answers/", {"text": "No, it held up fine."})
    assert r.status_code == 201
    answer = r.json()
    assert answer["is_verified_buyer"] is True
    # and the asker votes it helpful and accepts it
    r = authed.post(f"/api/v1/answers/{answer['id']}/vote/", {"value": 1})
    assert r.json() == {"my_vote": 1, "helpful_count": 1, "not_helpful_count": 0}
    r = authed.post(f"/api/v1/answers/{answer['id']}/accept/")
    assert r.status_code == 200 and r.json()["accepted_answer"] == answer["id"]
    # then the answer list shows it all
    listed = authed.get(f"/api/v1/questions/{question_id}/answers/").json()["results"]
    assert listed[0]["my_vote"] == 1 and listed[0]["is_accepted"] is True
    # and the product's question list has it
    questions = api_client.get(f"/api/v1/questions/?product={product.pk}").json()["results"]
    assert [q["id"] for q in questions] == [question_id]
    assert questions[0]["answer_count"] == 1


def test_vote_values_are_validated(authed):
    answer = AnswerFactory()
    r = authed.post(f"/api/v1/answers/{answer.pk}/vote/", {"value": 3})
    assert r.status_code == 400
    assert not AnswerVote.objects.exists()


def test_vote_can_be_taken_back(authed, user):
    answer = AnswerFactory()
    authed.post(f"/api/v1/answers/{answer.pk}/vote/", {"value": -1})
    r = authed.delete(f"/api/v1/answers/{answer.pk}/vote/")
    assert r.json() == {"my_vote": None, "helpful_count": 0, "not_helpful_count": 0}


def test_only_the_asker_may_accept(authed):
    answer = AnswerFactory()
    r = authed.post(f"/api/v1/answers/{answer.pk}/accept/")
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "not_asker"


def test_edit_and_delete_own_content(authed, user):
    question = QuestionFactory(author=user)
    r = authed.patch(f"/api/v1/questions/{question.pk}/", {"text": "Is it true to size, really?"})
    assert r.status_code == 200 and r.json()["text"] == "Is it true to size, really?"
    answer = AnswerFactory(author=user)
    assert authed.patch(f"/api/v1/answers/{answer.pk}/", {"text": "Edited"}).json()["text"] == "Edited"
    assert authed.delete(f"/api/v1/answers/{answer.pk}/").status_code == 204
    assert authed.delete(f"/api/v1/questions/{question.pk}/").status_code == 204
    # author deletes are soft: kept (REMOVED, for moderators), served to nobody
    assert Answer.objects.get(pk=answer.pk).visibility == Visibility.REMOVED
    assert Question.objects.get(pk=question.pk).visibility == Visibility.REMOVED
    assert authed.get(f"/api/v1/questions/{question.pk}/").status_code == 404
    assert authed.delete(f"/api/v1/questions/{question.pk}/").status_code == 404


def test_others_content_cannot_be_edited(authed):
    question = QuestionFactory()
    assert authed.patch(f"/api/v1/questions/{question.pk}/", {"text": "Hijacked question text"}).status_code == 404


def test_asking_needs_a_token(api_client):
    product = ProductFactory()
    assert api_client.post("/api/v1/questions/", {"product": product.pk, "text": "Anyone tried it?"}).status_code == 401


@pytest.mark.parametrize("value", ["6516494500344392318976", "0", "-3", "tea"])
def test_question_list_refuses_a_product_that_is_no_id_with_a_400_naming_it(api_client, value):
    # a number beyond 64 bits was a 500 on SQLite (the schema fuzzer found it); a word or zero
    # listed every question as if no product had been asked for
    QuestionFactory()
    r = api_client.get(f"/api/v1/questions/?product={value}")
    assert r.status_code == 400
    assert "product" in r.json()["error"]["fields"]


@pytest.mark.parametrize("n", SIZES)
def test_question_list_query_count(api_client, django_assert_num_queries, n):
    product = ProductFactory()
    QuestionFactory.create_batch(n, product=product)
    with django_assert_num_queries(2):  # count, page
        r = api_client.get(f"/api/v1/questions/?product={product.pk}")
    assert r.json()["count"] == n


@pytest.mark.parametrize("n", SIZES)
def test_answer_list_query_count(authed, user, django_assert_num_queries, n):
    question = QuestionFactory()
    for answer in AnswerFactory.create_batch(n, question=question):
        make_purchase(answer.author, question.product)
    with django_assert_num_queries(3):  # question, count, page (the token from the cache)
        r = authed.get(f"/api/v1/questions/{question.pk}/answers/")
    assert r.json()["count"] == n
    assert all(a["is_verified_buyer"] for a in r.json()["results"])


@pytest.mark.parametrize("n", SIZES)
def test_for_you_query_count(authed, user, django_assert_num_queries, n):
    # given n questions about a product the user bought, and their rebuilt feed
    product = ProductFactory()
    make_purchase(user, product)
    QuestionFactory.create_batch(n, product=product)
    QuestionFactory.create_batch(n)  # more questions in the table do not change the read
    question_feed_rebuild(user_id=user.pk, now=timezone.now())
    # has entries, count, page (entries joined to visible questions; the token from the cache)
    with django_assert_num_queries(3):
        r = authed.get("/api/v1/questions/for-you/")
    assert r.json()["count"] == 2 * n
    assert [q["reason"] for q in r.json()["results"][:n]] == ["bought"] * min(n, 20)


@pytest.mark.parametrize("n", SIZES)
def test_for_you_query_count_on_a_cold_start(authed, user, django_assert_num_queries, n):
    QuestionFactory.create_batch(n)
    # has entries (none), popular ranking (cached afterwards), count, page (the token cached)
    with django_assert_num_queries(4):
        r = authed.get("/api/v1/questions/for-you/")
    assert r.json()["count"] == n
    assert {q["reason"] for q in r.json()["results"]} == {"popular"}
    with django_assert_num_queries(3):
        authed.get("/api/v1/questions/for-you/")


@pytest.mark.parametrize("n", SIZES)
def test_to_answer_query_count(authed, user, django_assert_num_queries, n):
    QuestionInvitationFactory.create_batch(n, invitee=user)
    QuestionInvitationFactory()  # someone else's
    with django_assert_num_queries(2):  # count, page (the token from the cache)
        r = authed.get("/api/v1/questions/to-answer/")
    assert r.json()["count"] == n
    assert r.json()["results"][0]["question"]["text"]
