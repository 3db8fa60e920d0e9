"""Moderation: least privilege, the reports queue, automatic holds, blocked terms, bans, the
audit trail and the dashboard. Moderators are signed in as members of the "Moderators" group
(made by a data migration), never as superusers."""

import time
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from community.models import AuditEntry, Ban, Case, CaseStatus, TermAction, TermMatch
from community.services import moderation as services
from community.services.qa import question_ask
from core.errors import ApplicationError
from core.visibility import Visibility
from headline.models import Story
from headline.services.engagement import comment_post
from livestream.models import RoomStatus
from marketplace.services.catalogue import product_create, product_set_visibility, shop_update
from tests.community.factories import QuestionFactory, UserFactory, make_moderator
from tests.headline.factories import StoryFactory
from tests.livestream.factories import RoomFactory
from tests.marketplace.factories import CategoryFactory, OrderFactory, ProductFactory, ShopFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator():
    return make_moderator(username="moderator")


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def report(user, kind, object_id, reason="spam", text=""):
    return api_for(user).post(
        "/api/v1/reports/", {"kind": kind, "object_id": object_id, "reason": reason, "text": text}, format="json"
    )


# --- least privilege ---------------------------------------------------------------------------


def test_the_moderators_group_has_exactly_the_moderation_permissions():
    make_moderator()  # (re)made from the migration's list if a transactional test emptied it
    codenames = set(Group.objects.get(name="Moderators").permissions.values_list("codename", flat=True))
    assert "moderate" in codenames and "view_auditentry" in codenames and "add_blockedterm" in codenames
    assert {"view_productimage", "view_reviewimage", "view_storyimage"} <= codenames  # photos are content too
    assert not {c for c in codenames if c.startswith(("change_", "delete_"))} - {
        "change_blockedterm",
        "delete_blockedterm",
    }
    assert not {c for c in codenames if c.endswith(("order", "saleevent", "deal", "voucher", "group", "permission"))}


def test_a_moderator_can_work_the_queue_but_not_superuser_actions_or_owners_writes(client, moderator):
    product = ProductFactory(title="Fake pearls")
    client.force_login(moderator)

    # the queue, the dashboard, content lists and the hide action are theirs
    assert client.get(reverse("admin:community_case_changelist")).status_code == 200
    assert client.get(reverse("admin:moderation_dashboard")).status_code == 200
    client.post(reverse("admin:marketplace_product_changelist"), {"action": "hide", "_selected_action": [product.pk]})
    product.refresh_from_db()
    assert product.visibility == Visibility.HIDDEN

    # superuser-only admin (orders, sales, groups) and editing content are not
    assert client.get(reverse("admin:marketplace_order_changelist")).status_code == 403
    assert client.get(reverse("admin:marketplace_saleevent_changelist")).status_code == 403
    assert client.get(reverse("admin:auth_group_changelist")).status_code == 403
    change = client.post(reverse("admin:marketplace_product_change", args=[product.pk]), {"title": "Mine now"})
    product.refresh_from_db()
    assert change.status_code == 403 and product.title == "Fake pearls"

    # nor may they write a shop's products through the API as if they owned it
    other = ProductFactory()
    api = api_for(moderator)
    assert api.patch(f"/api/v1/products/{other.pk}/", {"title": "Hijacked"}, format="json").status_code in (403, 404)
    assert api.delete(f"/api/v1/products/{other.pk}/").status_code in (403, 404)
    other.refresh_from_db()
    assert other.title != "Hijacked" and other.visibility == Visibility.VISIBLE


def test_staff_without_the_permission_cannot_moderate(client):
    staff = UserFactory(is_staff=True)
    product = ProductFactory()
    client.force_login(staff)

    assert client.get(reverse("admin:community_case_changelist")).status_code == 403
    assert client.get(reverse("admin:moderation_dashboard")).status_code == 403
    client.post(reverse("admin:marketplace_product_changelist"), {"action": "hide", "_selected_action": [product.pk]})
    product.refresh_from_db()
    assert product.visibility == Visibility.VISIBLE
    assert api_for(staff).delete(f"/api/v1/products/{product.pk}/").status_code in (403, 404)
    hidden = ProductFactory(visibility=Visibility.HIDDEN)
    assert client.get(hidden.get_absolute_url()).status_code == 404  # no moderator's preview either
    with pytest.raises(ApplicationError) as refused:
        services.term_create(pattern="spam", match=TermMatch.WORD, action=TermAction.REJECT, by=staff)
    assert refused.value.code == "not_moderator"


# --- reports, the queue, automatic holds ---------------------------------------------------------


def test_reports_api_refuses_duplicates_own_content_and_what_is_not_public():
    question = QuestionFactory()
    reporter = UserFactory()

    first = report(reporter, "question", question.pk, "offensive")
    again = report(reporter, "question", question.pk, "spam")
    own = report(question.author, "question", question.pk)
    unknown = report(reporter, "order", 1)
    other_needs_text = report(reporter, "question", question.pk, "other")
    hidden = report(reporter, "product", ProductFactory(visibility=Visibility.HIDDEN).pk)
    anonymous = APIClient().post("/api/v1/reports/", {"kind": "question", "object_id": question.pk, "reason": "spam"})

    assert first.status_code == 201 and first.json()["kind"] == "question"
    assert (again.status_code, again.json()["error"]["code"]) == (409, "already_reported")
    assert (own.status_code, own.json()["error"]["code"]) == (400, "own_content")
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (400, "invalid_kind")
    assert other_needs_text.status_code == 400
    assert (hidden.status_code, hidden.json()["error"]["code"]) == (404, "not_found")
    assert anonymous.status_code in (401, 403)
    assert Case.objects.get().report_count == 1


def test_reports_group_into_one_case_and_the_item_is_held_past_the_threshold(settings):
    settings.MODERATION_REPORT_THRESHOLD = 3
    story = StoryFactory()
    for _ in range(2):
        assert report(UserFactory(), "story", story.pk).status_code == 201
    story.refresh_from_db()
    assert story.visibility == Visibility.VISIBLE

    report(UserFactory(), "story", story.pk, "fake")

    story.refresh_from_db()
    case = Case.objects.get()
    assert (story.visibility, case.report_count, case.held) == (Visibility.HELD, 3, True)
    entry = AuditEntry.objects.get(kind="story", object_id=story.pk)
    assert (entry.actor, entry.action, entry.before, entry.after) == (None, "hold", "visible", "held")


def test_the_queue_puts_the_most_reported_first_then_the_oldest_and_dismiss_lets_a_held_item_back(
    client, moderator, settings
):
    settings.MODERATION_REPORT_THRESHOLD = 2
    once, twice = QuestionFactory(text="Reported once please"), QuestionFactory(text="Reported twice please")
    report(UserFactory(), "question", once.pk)
    report(UserFactory(), "question", twice.pk)
    report(UserFactory(), "question", twice.pk)
    client.force_login(moderator)

    page = client.get(reverse("admin:community_case_changelist")).content.decode()
    assert page.index("Reported twice please") < page.index("Reported once please")

    held = Case.objects.get(object_id=twice.pk)
    client.post(reverse("admin:community_case_changelist"), {"action": "dismiss", "_selected_action": [held.pk]})
    twice.refresh_from_db()
    held.refresh_from_db()
    assert (twice.visibility, held.status, held.resolution) == (Visibility.VISIBLE, CaseStatus.CLOSED, "dismissed")
    assert set(AuditEntry.objects.values_list("action", flat=True)) == {"hold", "dismiss", "restore"}


def test_hide_and_warn_from_the_queue_tells_the_author(client, moderator):
    question = QuestionFactory()
    report(UserFactory(), "question", question.pk, "offensive")
    client.force_login(moderator)

    client.post(
        reverse("admin:community_case_changelist"),
        {"action": "hide_and_warn", "_selected_action": [Case.objects.get().pk]},
    )

    question.refresh_from_db()
    assert question.visibility == Visibility.HIDDEN
    assert question.author.notifications.filter(dedupe_key__startswith="warn:").exists()
    assert list(AuditEntry.objects.order_by("id").values_list("action", "actor_name")) == [
        ("hide", "moderator"),
        ("warn", "moderator"),
    ]


def test_new_accounts_are_not_held_by_default(settings):
    assert settings.MODERATION_HOLD_FIRST_POSTS == 0  # off unless configured
    newcomer = UserFactory()  # joined just now

    question = question_ask(author=newcomer, product=ProductFactory(), text="Is this my first question here?")

    assert question.visibility == Visibility.VISIBLE and not Case.objects.exists()


def test_with_holds_on_a_new_accounts_first_posts_wait_for_a_moderator(client, moderator, settings):
    # given holds for the first 2 posts of accounts younger than 7 days
    settings.MODERATION_HOLD_FIRST_POSTS, settings.MODERATION_NEW_ACCOUNT_DAYS = 2, 7
    newcomer = UserFactory(username="newcomer")
    veteran = UserFactory(date_joined=timezone.now() - timedelta(days=30))
    shop = ShopFactory(owner=newcomer)

    # when the newcomer posts a story, then a product, then a question (every screened kind)
    client.force_login(newcomer)
    posted = client.post(reverse("headline:story_create"), {"title": "My first haul", "body": "Look at this"})
    story = Story.objects.get(author=newcomer)
    product = product_create(shop=shop, category=CategoryFactory(), title="First bag", price="10.00", status="active")
    question = question_ask(author=newcomer, product=ProductFactory(), text="And is this a third post?")

    # then the first two are held, queued, and shown to the author but nobody else
    assert posted.status_code == 302
    assert (story.visibility, product.visibility, question.visibility) == (
        Visibility.HELD,
        Visibility.HELD,
        Visibility.VISIBLE,
    )
    assert set(Case.objects.filter(held=True).values_list("kind", "object_id")) == {
        ("story", story.pk),
        ("product", product.pk),
    }
    assert client.get(reverse("headline:story_edit", args=[story.pk])).status_code == 200
    assert client.get(product.get_absolute_url()).status_code == 200
    client.force_login(UserFactory())
    assert client.get(story.get_absolute_url()).status_code == 404
    assert client.get(product.get_absolute_url()).status_code == 404

    # and moderators find them in the queue
    client.force_login(moderator)
    queue = client.get(reverse("admin:community_case_changelist")).content.decode()
    assert "My first haul" in queue and "First bag" in queue

    # an older account's first post is not held
    assert question_ask(author=veteran, product=ProductFactory(), text="Old hand here, first post?").visibility == (
        Visibility.VISIBLE
    )


def test_the_report_page_takes_a_reason_and_goes_back(client):
    story = StoryFactory()
    client.force_login(UserFactory())
    url = reverse("community:report", args=["story", story.pk]) + f"?next={story.get_absolute_url()}"

    assert client.get(url).status_code == 200
    sent = client.post(url, {"reason": "spam", "text": "", "next": story.get_absolute_url()})
    assert sent.status_code == 302 and sent["Location"] == story.get_absolute_url()
    assert Case.objects.get().kind == "story"
    assert client.get(reverse("community:report", args=["story", 999999])).status_code == 404


def test_report_links_are_on_the_content_pages(client):
    story = StoryFactory()
    client.force_login(UserFactory())
    assert (
        reverse("community:report", args=["story", story.pk]) in client.get(story.get_absolute_url()).content.decode()
    )
    product = ProductFactory()
    assert (
        reverse("community:report", args=["product", product.pk])
        in client.get(product.get_absolute_url()).content.decode()
    )
    assert (
        reverse("community:report", args=["shop", product.shop_id])
        in client.get(product.shop.get_absolute_url()).content.decode()
    )


# --- the audit trail -----------------------------------------------------------------------------


def test_the_audit_trail_is_append_only_in_the_database(moderator):
    if connection.vendor != "postgresql":
        pytest.skip("the append-only guard is a PostgreSQL trigger (community 0014); SQLite has none")
    entry = services.audit_record(actor=moderator, action="hide", kind="story", object_id=1, reason="test")

    for write in (
        lambda: AuditEntry.objects.filter(pk=entry.pk).update(reason="rewritten"),
        lambda: AuditEntry.objects.filter(pk=entry.pk).delete(),
    ):
        with pytest.raises(DatabaseError), transaction.atomic():
            write()
    assert AuditEntry.objects.get(pk=entry.pk).reason == "test"


def test_the_audit_trail_is_read_only_in_admin(client, moderator):
    entry = services.audit_record(actor=moderator, action="hide", kind="story", object_id=1, reason="test")
    client.force_login(moderator)
    assert client.get(reverse("admin:community_auditentry_changelist")).status_code == 200
    assert (
        client.post(reverse("admin:community_auditentry_change", args=[entry.pk]), {"reason": "x"}).status_code == 403
    )
    assert client.get(reverse("admin:community_auditentry_delete", args=[entry.pk])).status_code == 403
    assert AuditEntry.objects.get(pk=entry.pk).reason == "test"


# --- blocked terms -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "match", "text", "found"),
    [
        ("spam", TermMatch.WORD, "this is SPAM!", True),
        ("spam", TermMatch.WORD, "spammer talk", False),
        ("spam", TermMatch.SUBSTRING, "spammer talk", True),
        ("傻逼", TermMatch.WORD, "你这个傻逼啊", True),  # Chinese has no spaces: a word matches inside
        (r"w+h+a+t+s+a+p+p", TermMatch.REGEX, "add me on whhhatsapp", True),
        (r"\d{11}", TermMatch.REGEX, "call 13800138000", True),
        (r"\d{11}", TermMatch.REGEX, "call 1380013", False),
    ],
)
def test_blocked_terms_match_whole_words_substrings_and_regexes(moderator, pattern, match, text, found):
    services.term_create(pattern=pattern, match=match, action=TermAction.REJECT, by=moderator)
    assert (services.blocked_term_find([text]) is not None) is found


def test_a_catastrophic_pattern_returns_within_50_ms_on_10_kb(moderator):
    services.term_create(pattern=r"(a+)+$", match=TermMatch.REGEX, action=TermAction.REJECT, by=moderator)
    services.term_create(pattern=r"(x+x+)+y", match=TermMatch.REGEX, action=TermAction.REJECT, by=moderator)
    text = "a" * 5000 + "x" * 5000 + "!"
    services.blocked_term_find(["warm up"])

    started = time.perf_counter()
    found = services.blocked_term_find([text])
    elapsed_ms = (time.perf_counter() - started) * 1000

    print(f"catastrophic patterns on 10 kB: {elapsed_ms:.2f} ms")
    assert found is None and elapsed_ms < 50


def test_an_invalid_regex_is_refused_with_a_clear_message(moderator):
    with pytest.raises(ApplicationError) as refused:
        services.term_create(pattern="(unclosed", match=TermMatch.REGEX, action=TermAction.REJECT, by=moderator)
    assert refused.value.code == "invalid_term" and "RE2" in refused.value.message


def test_blocked_terms_are_caught_in_every_place_that_takes_text(moderator):
    services.term_create(pattern="counterfeitbrand", match=TermMatch.WORD, action=TermAction.REJECT, by=moderator)
    services.term_create(pattern="maybe-spam", match=TermMatch.SUBSTRING, action=TermAction.HOLD, by=moderator)
    author, product = UserFactory(), ProductFactory()
    shop = ShopFactory()
    category = CategoryFactory()

    refusals = [
        lambda: question_ask(author=author, product=product, text="Is this counterfeitbrand real?"),
        lambda: comment_post(author=author, story=StoryFactory(), body="buy counterfeitbrand here"),
        lambda: product_create(shop=shop, category=category, title="counterfeitbrand bag", price="10.00"),
        lambda: shop_update(shop=shop, description="We sell counterfeitbrand"),
        lambda: api_for(author).post(
            "/api/v1/stories/", {"title": "Haul", "body": "my counterfeitbrand haul"}, format="json"
        ),
    ]
    for refuse in refusals:
        try:
            result = refuse()
        except ApplicationError as error:
            assert error.code == "blocked_term" and "counterfeitbrand" in error.message
        else:
            assert result.status_code == 400 and result.json()["error"]["code"] == "blocked_term"

    # a holding term saves the text but keeps it from others until a moderator decides
    question = question_ask(author=author, product=product, text="Is this maybe-spam legit?")
    assert question.visibility == Visibility.HELD
    assert Case.objects.get(kind="question", object_id=question.pk).held
    held_product = product_create(shop=shop, category=category, title="maybe-spam item", price="10.00", status="active")
    assert held_product.visibility == Visibility.HELD


# --- bans ----------------------------------------------------------------------------------------


def test_a_ban_hides_the_shop_ends_the_live_room_and_refuses_posts_and_unban_restores_exactly(
    client, moderator, django_capture_on_commit_callbacks
):
    seller = UserFactory()
    shop = ShopFactory(owner=seller)
    on_sale = ProductFactory(shop=shop)
    hidden_before = ProductFactory(shop=shop, visibility=Visibility.HIDDEN)
    room = RoomFactory(host=seller, status=RoomStatus.LIVE)
    order = OrderFactory(buyer=seller)

    with django_capture_on_commit_callbacks(execute=True):
        ban = services.ban_create(user=seller, by=moderator, reason="counterfeits", days=3)

    shop.refresh_from_db(), on_sale.refresh_from_db(), room.refresh_from_db()
    assert shop.visibility == on_sale.visibility == Visibility.HIDDEN
    assert (room.status, room.visibility) == (RoomStatus.ENDED, Visibility.HIDDEN)
    for post in (
        lambda: question_ask(author=seller, product=ProductFactory(), text="Can I still ask this?"),
        lambda: comment_post(author=seller, story=StoryFactory(), body="still here"),
        lambda: product_create(shop=shop, category=CategoryFactory(), title="New", price="1.00"),
    ):
        with pytest.raises(ApplicationError) as refused:
            post()
        assert refused.value.code == "banned" and refused.value.status == 403
    # they can still sign in, read and see their orders
    client.force_login(seller)
    assert client.get(reverse("marketplace:order_detail", args=[order.pk])).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        assert services.ban_lift(ban=ban, by=moderator)

    shop.refresh_from_db(), on_sale.refresh_from_db(), hidden_before.refresh_from_db()
    assert shop.visibility == on_sale.visibility == Visibility.VISIBLE
    assert hidden_before.visibility == Visibility.HIDDEN  # the ban did not hide it, so it stays hidden
    assert question_ask(author=seller, product=ProductFactory(), text="Back again, is it real?").pk
    assert list(AuditEntry.objects.filter(kind="user").order_by("id").values_list("action", flat=True)) == [
        "ban",
        "unban",
    ]


@pytest.mark.parametrize(
    ("where", "duration", "days", "after"),
    [
        ("case", "1", 1, "1d"),
        ("case", "permanent", None, "permanent"),
        ("user", "30", 30, "30d"),
        ("user", "permanent", None, "permanent"),
    ],
)
def test_a_moderator_chooses_how_long_a_ban_lasts_in_admin(client, moderator, where, duration, days, after):
    # given a reported question, and a moderator (not a superuser) in admin
    question = QuestionFactory()
    report(UserFactory(), "question", question.pk, "offensive")
    author = question.author
    url, action, selected = {
        "case": (reverse("admin:community_case_changelist"), "ban_author", Case.objects.get().pk),
        "user": (reverse("admin:community_user_changelist"), "ban", author.pk),
    }[where]
    client.force_login(moderator)

    # when they choose the ban action, they are asked how long and why (nothing is banned yet)
    asked = client.post(url, {"action": action, "_selected_action": [selected]})
    assert asked.status_code == 200
    page = asked.content.decode()
    assert "Ban for" in page and "Permanently" in page and "30 days" in page
    assert not Ban.objects.exists()

    # and when they answer, the ban lasts what they chose and the audit trail says so
    done = client.post(
        url,
        {"action": action, "_selected_action": [selected], "apply": "1", "duration": duration, "reason": "abuse"},
    )
    assert done.status_code == 302
    ban = Ban.objects.get(user=author)
    if days is None:
        assert ban.expires_at is None
    else:
        assert abs(ban.expires_at - (timezone.now() + timedelta(days=days))) < timedelta(minutes=1)
    entry = AuditEntry.objects.get(action="ban")
    assert (entry.actor, entry.object_id, entry.after, entry.reason) == (moderator, author.pk, after, "abuse")
    question.refresh_from_db()
    assert question.visibility == (Visibility.HIDDEN if where == "case" else Visibility.VISIBLE)


def test_temporary_bans_expire_by_the_beat_task_and_restore(moderator):
    seller = UserFactory()
    product = ProductFactory(shop=ShopFactory(owner=seller))
    ban = services.ban_create(user=seller, by=moderator, days=1)

    assert services.bans_expire(now=timezone.now()) == 0
    assert services.bans_expire(now=timezone.now() + timedelta(days=1, minutes=1)) == 1
    assert services.bans_expire(now=timezone.now() + timedelta(days=2)) == 0  # idempotent

    product.refresh_from_db()
    assert product.visibility == Visibility.VISIBLE and Ban.objects.get(pk=ban.pk).lifted_at is not None


# --- the dashboard -------------------------------------------------------------------------------


def test_the_dashboard_shows_open_reports_held_items_actions_and_the_most_reported(client, moderator, settings):
    settings.MODERATION_REPORT_THRESHOLD = 2
    story = StoryFactory(author=UserFactory(username="loudmouth"))
    report(UserFactory(), "story", story.pk)
    report(UserFactory(), "story", story.pk)
    product_set_visibility(obj=ProductFactory(), status=Visibility.HIDDEN, by=moderator)
    services.moderate(obj=QuestionFactory(), status=Visibility.HIDDEN, by=moderator)
    client.force_login(moderator)

    page = client.get(reverse("admin:moderation_dashboard")).content.decode()

    assert "Open reports: 2" in page and "Held for review: 1" in page
    assert "loudmouth" in page and "<svg" in page and ">moderator<" in page
