"""What community puts into marketplace pages through their slots (core/slots.py): the product
page's Q&A summary — cached with the page, yet fresh after every Q&A write because its tag is
bumped — and the shop page's follow button, rendered per visitor even on a page served whole
from the anonymous cache."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from community.services import qa
from marketplace.models import ProductStatus
from tests.community.factories import AnswerFactory, QuestionFactory, UserFactory, make_purchase
from tests.marketplace.factories import ProductFactory, ShopFactory

pytestmark = pytest.mark.django_db


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def qa_section(html: str) -> str:
    start = html.index('aria-labelledby="qa-title"')
    return html[start : html.index("</section>", start)]


# --- the product page's Q&A summary ------------------------------------------------------------


def test_the_product_page_shows_the_count_and_the_two_most_answered_questions(client):
    # given three questions: two answered (one by a verified buyer), one not yet
    product = ProductFactory()
    most = QuestionFactory(product=product, text="Is the clasp sturdy?", answer_count=2)
    buyer = UserFactory(display_name="Lili")
    make_purchase(buyer, product)
    AnswerFactory(question=most, text="I guess so.", helpful_count=3)
    AnswerFactory(question=most, author=buyer, text="Worn daily for months, still tight.")
    once = QuestionFactory(product=product, text="How long is the chain?", answer_count=1)
    AnswerFactory(question=once, text="About 45 cm.")
    QuestionFactory(product=product, text="Does it come in a box?")

    # when anyone opens the product page
    section = qa_section(page(client, product.get_absolute_url()))

    # then the summary counts all three and shows the two answered ones, best answer first
    assert "3 questions from shoppers" in section
    assert section.index("Is the clasp sturdy?") < section.index("How long is the chain?")
    assert "Worn daily for months" in section and "I guess so." not in section
    assert "Verified buyer" in section and "Lili" in section
    assert "About 45 cm." in section
    assert "Does it come in a box?" not in section
    assert f'href="/products/{product.pk}/questions/"' in section


def test_without_questions_it_invites_the_first_one(client):
    product = ProductFactory()
    section = qa_section(page(client, product.get_absolute_url()))
    assert "Not sure? Ask people who bought it." in section
    assert f'href="/products/{product.pk}/questions/"' in section


def test_the_cached_anonymous_page_shows_a_new_answer_at_the_next_visit(client, django_capture_on_commit_callbacks):
    # given an anonymous visitor's product page, cached whole (the next visit runs no query)
    product = ProductFactory()
    question = QuestionFactory(product=product, text="Is it real jade?")
    assert "Is it real jade?" not in qa_section(page(client, product.get_absolute_url()))  # not answered yet
    with CaptureQueriesContext(connection) as queries:
        page(client, product.get_absolute_url())
    assert len(queries) == 0

    # when a buyer answers (the Q&A service bumps the product's Q&A tag on commit)
    buyer = UserFactory()
    make_purchase(buyer, product)
    with django_capture_on_commit_callbacks(execute=True):
        qa.answer_post(author=buyer, question=question, text="Yes, it came with a certificate.")

    # then the next anonymous visit sees it, with the badge — the slot was not frozen in the cache
    section = qa_section(page(client, product.get_absolute_url()))
    assert "Yes, it came with a certificate." in section and "Verified buyer" in section
    # and a signed-in visitor (cached main part, fresh frame) sees the same
    client.force_login(UserFactory())
    assert "Yes, it came with a certificate." in qa_section(page(client, product.get_absolute_url()))


def test_an_owners_preview_of_a_draft_has_no_qa(client):
    product = ProductFactory(status=ProductStatus.DRAFT)
    client.force_login(product.shop.owner)
    assert 'aria-labelledby="qa-title"' not in page(client, product.get_absolute_url())


@pytest.mark.parametrize("questions, answers", [(1, 1), (12, 5)])
def test_product_page_query_count(client, django_assert_num_queries, questions, answers):
    # given a product with questions and answers (and buyers among the answerers)
    product = ProductFactory()
    for _ in range(questions):
        question = QuestionFactory(product=product, answer_count=answers)
        for answer in AnswerFactory.create_batch(answers, question=question):
            make_purchase(answer.author, product)

    # product, images, recent reviews, next price change; the Q&A slot: count, top two, their best
    # answers; the live rooms' slot: one; headline's "stories about this": one; marketplace's
    # voucher box: the shop's vouchers, once (then from the versioned cache); "more from this shop"
    # (per request, its own cache entry): the shop's products, next price change
    with django_assert_num_queries(12):
        html = page(client, product.get_absolute_url())
    assert "Verified buyer" in html
    # and the next anonymous visit is served from the cache
    with django_assert_num_queries(0):
        page(client, product.get_absolute_url())


# --- the shop page's follow button -------------------------------------------------------------


def test_the_follow_button_is_per_visitor_on_a_page_cached_for_anonymous_visitors(client):
    shop = ShopFactory(name="Pearl House")
    url = shop.get_absolute_url()
    anonymous = page(client, url)
    assert "Log in to follow Pearl House" in anonymous
    assert f"/accounts/login/?next={url}" in anonymous

    # a signed-in shopper gets the button, and after following, the unfollow state
    shopper = Client()
    shopper.force_login(UserFactory())
    assert "Follow Pearl House" in page(shopper, url) and "Log in to follow" not in page(shopper, url)
    shopper.post(f"/shops/{shop.slug}/follow/")
    assert "Following · unfollow Pearl House" in page(shopper, url)

    # the owner gets none; an anonymous visitor still the log-in link, from the cached page
    owner = Client()
    owner.force_login(shop.owner)
    assert "follow Pearl House" not in page(owner, url).lower()
    with CaptureQueriesContext(connection) as queries:
        assert "Log in to follow Pearl House" in page(Client(), url)
    assert len(queries) == 0
