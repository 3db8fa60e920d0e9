"""Community pages: what a visitor sees and can do, and pinned query counts for every list."""

import pytest
from django.urls import reverse
from django.utils import timezone

from community.models import Answer, AnswerVote, Notification, Question, ShopFollow, UserFollow
from community.services.activity import interest_profile_rebuild
from community.services.feeds import question_feed_rebuild
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


def html(response):
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# --- people ----------------------------------------------------------------------------------


def test_profile_shows_counts_shop_answers_and_roles(client, user):
    # given a seller with a follower and one answer
    seller = UserFactory(display_name="Meimei", bio="Pearls from Zhuji.")
    shop = ShopFactory(owner=seller, name="Pearl House")
    UserFollowFactory(user=seller, follower=user)
    AnswerFactory(author=seller, text="Freshwater pearls, hand-knotted.")
    # when a visitor opens the profile
    page = html(client.get(f"/u/{seller.username}/"))
    # then name, bio, counts, shop, answers and roles are shown
    assert "Meimei" in page and "Pearls from Zhuji." in page
    assert "<strong data-follower-count>1</strong> follower" in page
    assert shop.name in page
    assert "Freshwater pearls, hand-knotted." in page
    assert ">Seller</span>" in page and ">Blogger</span>" in page


def test_no_blogger_badge_without_followers(client):
    person = UserFactory()
    AnswerFactory(author=person)
    assert ">Blogger</span>" not in html(client.get(f"/u/{person.username}/"))


def test_follow_and_unfollow_a_user_from_their_profile(client, user):
    other = UserFactory()
    client.force_login(user)
    r = client.post(f"/u/{other.username}/follow/")
    assert r.status_code == 302
    assert UserFollow.objects.filter(follower=user, user=other).exists()
    assert "unfollow" in html(client.get(f"/u/{other.username}/"))
    client.post(f"/u/{other.username}/follow/", {"action": "unfollow"})
    assert not UserFollow.objects.filter(follower=user, user=other).exists()


def test_follow_a_shop_counts_and_redirects_back(client, user):
    shop = ShopFactory()
    client.force_login(user)
    r = client.post(f"/shops/{shop.slug}/follow/", {"next": "/somewhere/"})
    assert r.status_code == 302 and r.url == "/somewhere/"
    shop.refresh_from_db()
    assert shop.follower_count == 1
    assert ShopFollow.objects.filter(user=user, shop=shop).exists()


def test_following_needs_login(client):
    shop = ShopFactory()
    r = client.post(f"/shops/{shop.slug}/follow/")
    assert r.status_code == 302 and "/accounts/login/" in r.url


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("kind", ["followers", "following"])
def test_follower_lists_query_count(client, django_assert_num_queries, n, kind):
    person = UserFactory()
    for _ in range(n):
        if kind == "followers":
            UserFollowFactory(user=person)
        else:
            UserFollowFactory(follower=person)
    with django_assert_num_queries(3):  # person, count, page
        page = html(client.get(f"/u/{person.username}/{kind}/"))
    assert page.count('class="muted">@user') == min(n, 20)


# --- inbox -----------------------------------------------------------------------------------


@pytest.mark.parametrize("n", SIZES)
def test_inbox_query_count_and_badge(client, user, django_assert_num_queries, n):
    NotificationFactory.create_batch(n, recipient=user, title="Sale opens")
    client.force_login(user)
    # user with the unread badge (the session is cached), count, page
    with django_assert_num_queries(3):
        page = html(client.get("/notifications/"))
    assert page.count("Sale opens") == min(n, 20)
    assert f'aria-label="{n} unread"' in page


def test_opening_a_notification_marks_it_read_and_follows_its_link(client, user):
    n = NotificationFactory(recipient=user, url="/questions/")
    client.force_login(user)
    r = client.post(f"/notifications/{n.pk}/open/")
    assert r.status_code == 302 and r.url == "/questions/"
    n.refresh_from_db()
    assert n.read_at is not None


def test_someone_elses_notification_is_404(client, user):
    n = NotificationFactory()
    client.force_login(user)
    assert client.post(f"/notifications/{n.pk}/open/").status_code == 404
    n.refresh_from_db()
    assert n.read_at is None


def test_read_all(client, user):
    NotificationFactory.create_batch(3, recipient=user)
    client.force_login(user)
    client.post("/notifications/read-all/")
    assert not Notification.objects.filter(recipient=user, read_at__isnull=True).exists()


# --- activity --------------------------------------------------------------------------------


@pytest.mark.parametrize("n", SIZES)
def test_activity_page_query_count_and_clear(client, user, django_assert_num_queries, n):
    product = ProductFactory(title="Jade bangle")
    ActivityFactory.create_batch(n, user=user, product=product, category=product.category)
    ActivityFactory(product=product)  # someone else's
    client.force_login(user)
    with django_assert_num_queries(4):  # user with the badge, interests, count, page
        page = html(client.get("/me/activity/"))
    assert page.count("Jade bangle") == min(n, 20)
    client.post("/me/activity/clear/")
    assert not user.activities.exists()
    assert ActivityFactory._meta.model.objects.count() == 1


# --- questions and answers -------------------------------------------------------------------


@pytest.mark.parametrize("n", SIZES)
def test_product_questions_query_count(client, user, django_assert_num_queries, n):
    # given n questions, each with two answers (one from a buyer) and a vote by the viewer
    product = ProductFactory()
    for _ in range(n):
        question = QuestionFactory(product=product)
        buyer = UserFactory()
        make_purchase(buyer, product)
        answer = AnswerFactory(question=question, author=buyer)
        AnswerFactory(question=question)
        AnswerVote.objects.create(answer=answer, user=user, value=1)
    client.force_login(user)
    # user with the badge (the session is cached), product, count, questions, answers (with verified + my vote)
    with django_assert_num_queries(5):
        page = html(client.get(f"/products/{product.pk}/questions/"))
    assert page.count('class="badge badge-ok" title="Bought this product">Verified buyer') == min(n, 20)
    assert page.count('aria-pressed="true">Helpful') == min(n, 20)


def test_anonymous_sees_questions_and_is_asked_to_log_in(client):
    question = QuestionFactory(text="Is the chain real silver?")
    page = html(client.get(f"/products/{question.product_id}/questions/"))
    assert "Is the chain real silver?" in page
    assert "to ask a question" in page


def test_asking_on_the_product_page(client, user, product):
    client.force_login(user)
    r = client.post(f"/products/{product.pk}/questions/", {"text": "How long is the chain?"})
    assert r.status_code == 302
    assert Question.objects.filter(product=product, author=user, text="How long is the chain?").exists()


def test_asking_errors_are_shown(client, user, product):
    client.force_login(user)
    page = html(client.post(f"/products/{product.pk}/questions/", {"text": "short"}))
    assert "at least 10 characters" in page
    assert not Question.objects.exists()


def test_answer_vote_and_accept_through_pages(client):
    question = QuestionFactory()
    answerer, voter = UserFactory(), UserFactory()
    client.force_login(answerer)
    client.post(f"/questions/{question.pk}/", {"text": "Around 45 cm."})
    answer = Answer.objects.get(question=question, author=answerer)
    client.force_login(voter)
    client.post(f"/answers/{answer.pk}/vote/", {"value": "1"})
    answer.refresh_from_db()
    assert answer.helpful_count == 1
    client.force_login(question.author)
    client.post(f"/answers/{answer.pk}/accept/")
    question.refresh_from_db()
    assert question.accepted_answer_id == answer.pk
    assert "Helped the asker" in html(client.get(f"/questions/{question.pk}/"))


def test_answers_list_verified_buyers_first_then_helpfulness(client):
    product = ProductFactory()
    question = QuestionFactory(product=product)
    popular = AnswerFactory(question=question, text="Popular opinion", helpful_count=9)
    buyer = UserFactory()
    make_purchase(buyer, product)
    AnswerFactory(question=question, author=buyer, text="Buyer says", helpful_count=1)
    AnswerFactory(question=question, text="Least helpful", helpful_count=0)
    page = html(client.get(f"/questions/{question.pk}/"))
    assert page.index("Buyer says") < page.index("Popular opinion") < page.index("Least helpful")
    assert popular.pk


@pytest.mark.parametrize("n", SIZES)
def test_for_you_page_query_count(client, user, django_assert_num_queries, n):
    product = ProductFactory()
    QuestionFactory.create_batch(n, product=product, text="Does it tarnish?")
    QuestionFactory.create_batch(n)  # other categories: more rows in the table, same read
    ActivityFactory(user=user, product=product, category=product.category)
    now = timezone.now()
    interest_profile_rebuild(user_id=user.pk, now=now)
    question_feed_rebuild(user_id=user.pk, now=now)
    client.force_login(user)
    # user with the badge (the session is cached); the page of entries joined to visible questions
    # with the feed's length (COUNT(*) OVER ()), compiled once per process, read twice: before and
    # after the cache tags of the products and authors it shows (the page is then cached for them)
    with django_assert_num_queries(3):
        page = html(client.get("/questions/"))
    assert page.count("Does it tarnish?") == min(n, 20)
    assert "For you" in page

    # and the next request is their cached page
    with django_assert_num_queries(0):
        assert html(client.get("/questions/")).count("Does it tarnish?") == min(n, 20)


@pytest.mark.parametrize("n", SIZES)
def test_popular_questions_page_query_count(client, django_assert_num_queries, n):
    QuestionFactory.create_batch(n, text="Is it waterproof?")
    with django_assert_num_queries(3):  # popular ranking (then cached a minute), count, page
        page = html(client.get("/questions/"))
    assert page.count("Is it waterproof?") == min(n, 20)
    assert "Popular questions" in page
    with django_assert_num_queries(2):
        html(client.get("/questions/"))


@pytest.mark.parametrize("n", SIZES)
def test_to_answer_page_query_count(client, user, django_assert_num_queries, n):
    QuestionInvitationFactory.create_batch(n, invitee=user, question__text="Is it heavy?")
    client.force_login(user)
    with django_assert_num_queries(3):  # user with the badge, count, page
        page = html(client.get("/questions/to-answer/"))
    assert page.count("Is it heavy?") == min(n, 20)


def test_opting_out_of_invitations(client, user):
    client.force_login(user)
    client.post(reverse("community:to_answer"), {"question_invites_opt_out": "on"})
    user.refresh_from_db()
    assert user.question_invites_opt_out is True


# --- what community adds to marketplace pages ------------------------------------------------


def test_product_page_links_to_its_questions(client):
    product = ProductFactory()
    page = html(client.get(f"/products/{product.pk}/"))
    assert f'href="/products/{product.pk}/questions/"' in page


def test_shop_page_has_the_follow_button(client, user):
    shop = ShopFactory()
    assert "Log in to follow" in html(client.get(f"/shops/{shop.slug}/"))
    client.force_login(user)
    assert f"Follow {shop.name}" in html(client.get(f"/shops/{shop.slug}/"))
    client.post(f"/shops/{shop.slug}/follow/")
    # (the header's follower count may be cached by the shop page for a short while)
    assert "unfollow" in html(client.get(f"/shops/{shop.slug}/"))


@pytest.mark.parametrize("n", SIZES)
def test_profile_page_query_count(client, user, django_assert_num_queries, n):
    person = UserFactory()
    UserFollowFactory.create_batch(n, user=person)
    for answer in AnswerFactory.create_batch(n, author=person):
        make_purchase(person, answer.question.product)
    client.force_login(user)
    # user with the badge (the session is cached), person (with counts and shop), answers; headline's stories slot: the
    # blogger's figures and their latest stories
    with django_assert_num_queries(5):
        page = html(client.get(f"/u/{person.username}/"))
    assert f"<strong data-follower-count>{n}</strong>" in page
    assert page.count("Verified buyer") == min(n, 10)


@pytest.mark.parametrize("n", SIZES)
def test_question_page_query_count(client, user, django_assert_num_queries, n):
    question = QuestionFactory()
    AnswerFactory.create_batch(n, question=question, text="Fits well")
    client.force_login(user)
    with django_assert_num_queries(3):  # user with the badge, question, answers
        page = html(client.get(f"/questions/{question.pk}/"))
    assert page.count("Fits well") == n
