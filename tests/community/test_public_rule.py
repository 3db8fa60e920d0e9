"""Community reads the marketplace's one "public" rule (an active product of an active shop):
when a moderator hides a shop, its products' questions leave every page, API answer and feed
together with the product page (they used to stay: the Q&A only checked the product)."""

import pytest
from django.utils import timezone

from community.selectors.qa import question_feed_for_you, question_feed_popular
from community.services.feeds import question_feed_rebuild
from core.visibility import Visibility
from marketplace.services.catalogue import shop_set_visibility
from tests.community.factories import AnswerFactory, QuestionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def hidden_shop_question():
    """A question (with an answer) about a product whose shop a moderator then hid, and one
    about a product of an open shop."""
    hidden = QuestionFactory(text="Is the clasp sturdy enough?", answer_count=1)
    AnswerFactory(question=hidden)
    kept = QuestionFactory(text="How long is the chain?")
    return hidden, kept


def hide_shop(question):
    shop_set_visibility(obj=question.product.shop, status=Visibility.HIDDEN, by=None)


def test_pages_of_a_hidden_shops_product_are_gone(client, hidden_shop_question):
    hidden, kept = hidden_shop_question
    assert client.get(f"/products/{hidden.product_id}/questions/").status_code == 200

    hide_shop(hidden)

    assert client.get(hidden.product.get_absolute_url()).status_code == 404
    assert client.get(f"/products/{hidden.product_id}/questions/").status_code == 404
    assert client.get(hidden.get_absolute_url()).status_code == 404
    assert client.get(f"/products/{kept.product_id}/questions/").status_code == 200


def test_the_api_leaves_them_out_and_refuses_new_ones(api_client, hidden_shop_question):
    hidden, kept = hidden_shop_question
    hide_shop(hidden)

    listed = api_client.get("/api/v1/questions/").json()["results"]
    assert [row["id"] for row in listed] == [kept.pk]
    assert api_client.get(f"/api/v1/questions/?product={hidden.product_id}").json()["results"] == []
    assert api_client.get(f"/api/v1/questions/{hidden.pk}/").status_code == 404
    assert api_client.get(f"/api/v1/questions/{hidden.pk}/answers/").status_code == 404
    api_client.force_authenticate(UserFactory())
    asked = api_client.post("/api/v1/questions/", {"product": hidden.product_id, "text": "Still for sale?"})
    assert asked.status_code == 404
    assert asked.json()["error"]["code"] == "not_found"


def test_the_feeds_leave_them_out_at_once(client, hidden_shop_question):
    # given a popular ranking already cached and a "for you" feed already built with both
    hidden, kept = hidden_shop_question
    reader = UserFactory()
    assert set(question_feed_popular()) == {hidden, kept}
    question_feed_rebuild(user_id=reader.pk, now=timezone.now())
    assert set(question_feed_for_you(user=reader)) == {hidden, kept}

    # when the shop is hidden (no rebuild, no cache expiry)
    hide_shop(hidden)

    # then both feeds, and the page that shows them, drop its question at once
    assert list(question_feed_popular()) == [kept]
    assert list(question_feed_for_you(user=reader)) == [kept]
    page = client.get("/questions/").content.decode()
    assert kept.text in page and hidden.text not in page
