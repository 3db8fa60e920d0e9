"""The table-driven test over the moderation registry: for EVERY registered kind of content, a
moderator's hide makes it disappear for other people — from its public rule, its page / the page
that lists it, its API, the feeds and search results that show that kind, and the inbox (a
notification about it) — and a restore brings it back exactly as it was. A kind registered
without a row in ``TABLE`` and in ``SURFACES`` fails ``test_every_registered_kind_is_covered``;
a kind whose notifications the inbox filters without ``notified`` fails too."""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.utils import timezone

from community import moderation as registry
from community.models import AuditEntry, NotificationKind
from community.selectors import notifications as inbox
from community.services.moderation import moderate
from community.services.notifications import notification_create
from core.visibility import Visibility
from headline.services.feeds import story_feed_rebuild
from livestream.selectors import room_hello
from tests.community.factories import AnswerFactory, QuestionFactory, UserFactory, UserFollowFactory, make_moderator
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


@dataclass
class Surfaces:
    """Where else other people meet an item of a kind: each a function ``(item, viewer) ->
    [(url, text the page shows while the item is public), ...]`` (it may set up what the surface
    needs, e.g. follow the author); None where no such surface shows that kind."""

    feeds: Callable | None
    search: Callable | None
    notified: bool  # the inbox shows notifications about it (``notification_subject=True``)


def _story_feeds(story, viewer):
    UserFollowFactory(follower=viewer, user=story.author)
    story_feed_rebuild(user_id=viewer.pk, now=timezone.now())
    return [("/feed/following/", story.title), ("/feed/for-you/", story.title), ("/feed/trending/", story.title)]


def _shop_search(shop, viewer):
    product = ProductFactory(shop=shop, title="Akoya strand")  # a shop is found through its products
    return [
        (f"/search/?q={shop.name}", product.get_absolute_url()),
        (f"/api/v1/products/?q={shop.name}", product.title),
    ]


SURFACES = {
    "shop": Surfaces(None, _shop_search, notified=False),
    "product": Surfaces(
        None,
        # (the results page repeats the query: look for the link to the product)
        lambda p, v: [(f"/search/?q={p.title}", p.get_absolute_url()), (f"/api/v1/products/?q={p.title}", p.title)],
        notified=False,
    ),
    "review": Surfaces(None, None, notified=False),
    "question": Surfaces(lambda q, v: [("/questions/", q.text), ("/api/v1/questions/", q.text)], None, notified=True),
    "answer": Surfaces(None, None, notified=True),
    "user": Surfaces(None, None, notified=True),
    "story": Surfaces(_story_feeds, None, notified=True),
    "comment": Surfaces(None, None, notified=False),
    "room": Surfaces(lambda r, v: [("/live/", r.title), ("/api/v1/rooms/", r.title)], None, notified=True),
    "chat_message": Surfaces(None, None, notified=False),
}


def test_every_registered_kind_is_covered():
    names = {kind.name for kind in registry.kinds()}
    assert set(TABLE) == names and set(SURFACES) == names
    assert {name for name, s in SURFACES.items() if s.notified} == names & set(inbox._SUBJECTS)


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


def _elsewhere(client, name: str, item) -> dict[str, bool]:
    """For each feed, search and inbox showing this kind: whether it shows ``item`` now."""
    surfaces, shown = SURFACES[name], {}
    for url, text in client.surfaces:
        shown[url] = text in client.get(url).content.decode()
    if surfaces.notified:
        listed = client.get("/api/v1/notifications/").content.decode()
        shown["inbox"] = f"About {name} {item.pk}" in listed
    return shown


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
    surfaces = SURFACES[name]
    client.surfaces = [
        *(surfaces.feeds(item, client.user) if surfaces.feeds else []),
        *(surfaces.search(item, client.user) if surfaces.search else []),
    ]
    if surfaces.notified:  # e.g. an invitation to answer it, a new story, a room going live
        notification_create(
            recipient=client.user, kind=NotificationKind.OTHER, title=f"About {name} {item.pk}", subject=(name, item.pk)
        )
    assert kind.is_public(item) and _shown(client, row, item)
    everywhere = _elsewhere(client, name, item)
    assert all(everywhere.values()), everywhere

    # when a moderator hides it
    with django_capture_on_commit_callbacks(execute=True):  # caches are bumped on commit
        assert moderate(obj=item, status=Visibility.HIDDEN, by=moderator, reason="table test")

    # then it is gone for others (its public rule, its page, its API) but still exists
    item.refresh_from_db()
    assert item.visibility == Visibility.HIDDEN and not kind.is_public(item)
    assert not _shown(client, row, item)
    assert not any(_elsewhere(client, name, item).values()), _elsewhere(client, name, item)

    # when restored, it is back exactly as before, and both actions are in the audit trail
    with django_capture_on_commit_callbacks(execute=True):
        assert moderate(obj=item, status=Visibility.VISIBLE, by=moderator, reason="table test")
    item.refresh_from_db()
    assert kind.is_public(item) and _shown(client, row, item)
    assert _elsewhere(client, name, item) == everywhere
    assert list(
        AuditEntry.objects.filter(kind=name, object_id=item.pk).order_by("id").values_list("action", "before", "after")
    ) == [("hide", "visible", "hidden"), ("restore", "hidden", "visible")]
