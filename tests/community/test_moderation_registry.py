"""The table-driven test over the moderation registry: for EVERY registered kind of content, a
moderator's hide makes it disappear for other people — from its public rule, its page / the page
that lists it, its API — and a restore brings it back exactly as it was. A kind registered
without a row here fails ``test_every_registered_kind_is_covered``."""

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from community import moderation as registry
from community.models import AuditEntry
from community.services.moderation import moderate
from core.visibility import Visibility
from livestream.selectors import room_hello
from tests.community.factories import AnswerFactory, QuestionFactory, UserFactory, make_moderator
from tests.headline.factories import StoryCommentFactory, StoryFactory
from tests.livestream.factories import ChatMessageFactory, RoomFactory
from tests.marketplace.factories import ProductFactory, ReviewFactory, ShopFactory

pytestmark = pytest.mark.django_db


@dataclass
class Row:
    make: Callable  # -> the item
    url: Callable  # item -> a page that shows it
    marker: Callable  # item -> text the page shows while it is visible
    api: Callable | None = None  # item -> an API URL whose body shows it
    extra: Callable | None = None  # (item, user) -> True while another surface (a live room) shows it


def _review():
    review = ReviewFactory(text="Lovely pearls, true to the photos")
    return review


TABLE = {
    "shop": Row(ShopFactory, lambda s: s.get_absolute_url(), lambda s: s.name, lambda s: f"/api/v1/shops/{s.slug}/"),
    "product": Row(
        ProductFactory, lambda p: p.get_absolute_url(), lambda p: p.title, lambda p: f"/api/v1/products/{p.pk}/"
    ),
    "review": Row(
        _review,
        lambda r: r.product.get_absolute_url(),
        lambda r: r.text,
        lambda r: f"/api/v1/reviews/?product={r.product_id}",
    ),
    "question": Row(
        QuestionFactory, lambda q: q.get_absolute_url(), lambda q: q.text, lambda q: f"/api/v1/questions/{q.pk}/"
    ),
    "answer": Row(
        AnswerFactory,
        lambda a: a.question.get_absolute_url(),
        lambda a: a.text,
        lambda a: f"/api/v1/questions/{a.question_id}/answers/",
    ),
    "user": Row(
        lambda: UserFactory(display_name="Pearl Diver"),
        lambda u: u.get_absolute_url(),
        lambda u: "Pearl Diver",
        lambda u: f"/api/v1/users/{u.username}/",
    ),
    "story": Row(StoryFactory, lambda s: s.get_absolute_url(), lambda s: s.title, lambda s: f"/api/v1/stories/{s.pk}/"),
    "comment": Row(
        StoryCommentFactory,
        lambda c: c.story.get_absolute_url(),
        lambda c: c.body,
        lambda c: f"/api/v1/stories/{c.story_id}/comments/",
    ),
    "room": Row(RoomFactory, lambda r: r.get_absolute_url(), lambda r: r.title, lambda r: f"/api/v1/rooms/{r.pk}/"),
    "chat_message": Row(
        lambda: ChatMessageFactory(text="hello from the front row"),
        lambda m: m.room.get_absolute_url(),
        lambda m: "hello from the front row",
        extra=lambda m, user: any(c["text"] == m.text for c in room_hello(room=m.room, user=user)["chat"]),
    ),
}


def test_every_registered_kind_is_covered():
    assert set(TABLE) == {kind.name for kind in registry.kinds()}


def _shown(client, row: Row, item) -> bool:
    if row.extra is not None:  # what the live room's socket sends a viewer who joins
        return row.extra(item, client.user)
    page = client.get(row.url(item))
    on_page = page.status_code == 200 and row.marker(item) in page.content.decode()
    if row.api is None:
        return on_page
    api = client.get(row.api(item))
    in_api = api.status_code == 200 and row.marker(item) in api.content.decode()
    assert on_page == in_api, f"page and API disagree for {item!r}"
    return on_page


@pytest.fixture
def moderator():
    return make_moderator(username="mod")


@pytest.mark.parametrize("name", sorted(TABLE))
def test_hide_removes_it_for_others_and_restore_brings_it_back(
    client, moderator, name, django_capture_on_commit_callbacks
):
    # given a public item of this kind, seen by another signed-in person
    row, kind = TABLE[name], registry.kind_named(name)
    item = row.make()
    client.user = UserFactory(username="someone-else")
    client.force_login(client.user)
    assert kind.is_public(item) and _shown(client, row, item)

    # when a moderator hides it
    with django_capture_on_commit_callbacks(execute=True):  # caches are bumped on commit
        assert moderate(obj=item, status=Visibility.HIDDEN, by=moderator, reason="table test")

    # then it is gone for others (its public rule, its page, its API) but still exists
    item.refresh_from_db()
    assert item.visibility == Visibility.HIDDEN and not kind.is_public(item)
    assert not _shown(client, row, item)

    # when restored, it is back exactly as before, and both actions are in the audit trail
    with django_capture_on_commit_callbacks(execute=True):
        assert moderate(obj=item, status=Visibility.VISIBLE, by=moderator, reason="table test")
    item.refresh_from_db()
    assert kind.is_public(item) and _shown(client, row, item)
    assert list(
        AuditEntry.objects.filter(kind=name, object_id=item.pk).order_by("id").values_list("action", "before", "after")
    ) == [("hide", "visible", "hidden"), ("restore", "hidden", "visible")]
