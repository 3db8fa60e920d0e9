"""Bans refuse everything issue 12 point 6 lists — "a banned user cannot post, chat, vote, review
or sell" — at every edge, and keep what a ban must not take away (signing in, reading, seeing and
paying orders). One table walks every action that creates or changes public content or a vote:
through the API where it has an endpoint, the page where it has only a page, the room's socket
for the live room's frames, and the service where nothing outside calls it yet. Each row must be
refused (403 ``banned`` with the one JSON error body, the error frame, the page's message) and
write nothing. A service that takes user content and is not in the table is a gap: add a row.

Follows are not in the table on purpose: following a person or a shop only chooses what the
follower reads (their own feed), which a ban keeps; it posts nothing others read."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from community.models import Answer, AnswerVote, Question, User
from community.services import moderation as services
from core.errors import ApplicationError
from headline.models import Story, StoryComment, StoryImage, StoryLike
from headline.services import stories
from livestream.models import ChatMessage, Room, RoomPin, RoomProduct, RoomVote, Show
from livestream.services import live, rooms
from marketplace.models import Deal, Order, OrderStatus, Product, ProductImage, Review, Shop, Voucher
from tests.community.factories import AnswerFactory, AnswerVoteFactory, QuestionFactory, UserFactory, make_moderator
from tests.headline.factories import StoryFactory, StoryLikeFactory
from tests.livestream.factories import RoomFactory, StreamKeyFactory, live_room_with_shelf
from tests.livestream.sockets import join, leave_all, run
from tests.marketplace.catalogue_support import image_bytes, upload
from tests.marketplace.factories import (
    CategoryFactory,
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    ReviewFactory,
    SaleEventFactory,
    ShopFactory,
    fill_cart,
    make_address,
    make_product,
)

#: Everything a refused action could have written (every row of these, every column).
WATCHED = (
    Question,
    Answer,
    AnswerVote,
    Review,
    Story,
    StoryComment,
    StoryLike,
    StoryImage,
    Shop,
    Product,
    ProductImage,
    Voucher,
    Deal,
    Show,
    Room,
    RoomProduct,
    RoomPin,
    RoomVote,
    ChatMessage,
    User,
)


#: Written by reading, not by acting: a sign-in, being counted as a viewer or a reader.
NOT_ACTIONS = {"last_login", "peak_viewers", "view_count"}


def snapshot() -> dict:
    return {
        model.__name__: [
            {key: value for key, value in row.items() if key not in NOT_ACTIONS}
            for row in model.objects.order_by("pk").values()
        ]
        for model in WATCHED
    }


@dataclass
class Row:
    via: str  # "api", "page", "socket" or "service"
    act: Callable  # (banned, things, client) -> the API/page response, the socket's error frame, or the service call
    setup: Callable = lambda banned: {}  # -> things the action needs (made before the ban unless ``later``)
    later: bool = False  # made after the ban (a ban hides the rooms and shops that exist when it starts)


def _png():
    return upload(image_bytes("PNG"), name="photo.png", content_type="image/png")


def _socket(room_key: str, frame: dict):
    """Join the room in ``things[room_key]`` as the banned person, send ``frame``, return the
    error frame the socket answers."""

    def act(banned, things, client):
        async def scenario():
            viewer = await join(things[room_key], user=banned)
            await viewer.send(**frame(things) if callable(frame) else frame)
            error = await viewer.wait_for(lambda e: e["type"] == "error")
            await viewer.pump(0.3)  # anything the hub would still send (hearts) arrives meanwhile
            await leave_all(viewer)
            return error, viewer.events

        return run(scenario)

    return act


def _live_room(banned):
    room, (product, _) = live_room_with_shelf()
    live.room_pin(room=room, product_id=product.pk, by=room.host)
    return {"room": room, "product": product}


def _own_live_room(banned):
    room, (product, _) = live_room_with_shelf(host=banned)
    return {"room": room, "product": product}


TABLE = {
    # questions and answers
    "ask a question": Row(
        "api",
        lambda b, t, api: api.post("/api/v1/questions/", {"product": t["product"].pk, "text": "Is this real leather?"}),
        lambda b: {"product": ProductFactory()},
    ),
    "edit a question": Row(
        "api",
        lambda b, t, api: api.patch(f"/api/v1/questions/{t['question'].pk}/", {"text": "Is it real silk, then?"}),
        lambda b: {"question": QuestionFactory(author=b)},
    ),
    "answer": Row(
        "api",
        lambda b, t, api: api.post(f"/api/v1/questions/{t['question'].pk}/answers/", {"text": "Yes, it is silk."}),
        lambda b: {"question": QuestionFactory()},
    ),
    "edit an answer": Row(
        "api",
        lambda b, t, api: api.patch(f"/api/v1/answers/{t['answer'].pk}/", {"text": "No, it is polyester."}),
        lambda b: {"answer": AnswerFactory(author=b)},
    ),
    "vote an answer helpful": Row(
        "api",
        lambda b, t, api: api.post(f"/api/v1/answers/{t['answer'].pk}/vote/", {"value": 1}),
        lambda b: {"answer": AnswerFactory()},
    ),
    "take a vote back": Row(
        "api",
        lambda b, t, api: api.delete(f"/api/v1/answers/{t['vote'].answer_id}/vote/"),
        lambda b: {"vote": AnswerVoteFactory(user=b, value=1)},
    ),
    "accept an answer": Row(
        "api",
        lambda b, t, api: api.post(f"/api/v1/answers/{t['answer'].pk}/accept/"),
        lambda b: {"answer": AnswerFactory(question=QuestionFactory(author=b))},
    ),
    # reviews
    "review a purchase": Row(
        "api",
        lambda b, t, api: api.post("/api/v1/reviews/", {"order_line": t["line"].pk, "rating": 5, "text": "Great"}),
        lambda b: {"line": OrderLineFactory(order__buyer=b, order__status=OrderStatus.DELIVERED)},
    ),
    "edit a review": Row(
        "api",
        lambda b, t, api: api.patch(f"/api/v1/reviews/{t['review'].pk}/", {"rating": 1, "text": "Awful now"}),
        lambda b: {"review": ReviewFactory(order_line__order__buyer=b)},
    ),
    # stories, comments, likes
    "post a story": Row("api", lambda b, t, api: api.post("/api/v1/stories/", {"title": "Haul", "body": "My haul"})),
    "edit a story": Row(
        "api",
        lambda b, t, api: api.patch(f"/api/v1/stories/{t['story'].pk}/", {"title": "Edited", "body": "New body"}),
        lambda b: {"story": StoryFactory(author=b)},
    ),
    "publish a draft": Row(
        "service",
        lambda b, t, _: stories.story_publish(story=t["story"]),
        lambda b: {"story": StoryFactory(author=b, published_at=None)},
    ),
    "add a story image": Row(
        "api",
        lambda b, t, api: api.post(f"/api/v1/stories/{t['story'].pk}/images/", {"image": _png()}, format="multipart"),
        lambda b: {"story": StoryFactory(author=b)},
    ),
    "comment": Row(
        "api",
        lambda b, t, api: api.post(f"/api/v1/stories/{t['story'].pk}/comments/", {"body": "Nice!"}),
        lambda b: {"story": StoryFactory()},
    ),
    "like a story from its page": Row(
        "page",
        lambda b, t, client: client.post(f"/stories/{t['story'].pk}/like/", follow=True),
        lambda b: {"story": StoryFactory()},
    ),
    "like a story": Row(
        "api", lambda b, t, api: api.post(f"/api/v1/stories/{t['story'].pk}/like/"), lambda b: {"story": StoryFactory()}
    ),
    "take a like back": Row(
        "api",
        lambda b, t, api: api.delete(f"/api/v1/stories/{t['like'].story_id}/like/"),
        lambda b: {"like": StoryLikeFactory(user=b)},
    ),
    # live rooms
    "schedule a room": Row(
        "page",
        lambda b, t, client: client.post(
            "/live/studio/", {"title": "My show", "scheduled_at": (timezone.now() + timedelta(hours=1)).isoformat()}
        ),
    ),
    "start a room from the page": Row(
        "page",
        lambda b, t, client: client.post(f"/live/{t['room'].pk}/start/", follow=True),
        lambda b: {"room": RoomFactory(host=b)},
        later=True,
    ),
    "go live from the media server": Row(
        "media",
        lambda b, t, client: Client().post("/live/media/on-publish/", {"name": t["key"].key}),
        lambda b: {"key": StreamKeyFactory(user=b), "room": RoomFactory(host=b)},
        later=True,
    ),
    "start a show": Row("service", lambda b, t, _: rooms.show_create(host=b, title="Daily deals", slug="daily-deals")),
    "set a room's shelf": Row(
        "service",
        lambda b, t, _: rooms.room_shelf_set(room=t["room"], by=b, product_ids=[t["product"].pk]),
        lambda b: {"room": RoomFactory(host=b), "product": ProductFactory()},
        later=True,
    ),
    "pin a product": Row(
        "socket", _socket("room", lambda t: {"type": "pin", "product": t["product"].pk}), _own_live_room, later=True
    ),
    "chat": Row("socket", _socket("room", {"type": "chat", "text": "hello all"}), _live_room),
    "vote in a room": Row(
        "socket", _socket("room", lambda t: {"type": "vote", "product": t["product"].pk, "value": "yea"}), _live_room
    ),
    "send hearts": Row("socket", _socket("room", {"type": "heart", "count": 5}), _live_room),
    # selling
    "open a shop": Row("api", lambda b, t, api: api.post("/api/v1/shops/", {"name": "Banned goods"})),
    "edit the shop": Row(
        "api",
        lambda b, t, api: api.patch(f"/api/v1/shops/{t['shop'].slug}/", {"description": "Still selling"}),
        lambda b: {"shop": ShopFactory(owner=b)},
    ),
    "add a product": Row(
        "api",
        lambda b, t, api: api.post(
            "/api/v1/products/", {"category": t["category"].slug, "title": "New bag", "price": "10.00"}
        ),
        lambda b: {"shop": ShopFactory(owner=b), "category": CategoryFactory()},
    ),
    "edit a product": Row(
        "api",
        lambda b, t, api: api.patch(f"/api/v1/products/{t['product'].pk}/", {"price": "1.00"}),
        lambda b: {"product": ProductFactory(shop=ShopFactory(owner=b))},
    ),
    "add a product image": Row(
        "api",
        lambda b, t, api: api.post(
            f"/api/v1/products/{t['product'].pk}/images/", {"image": _png()}, format="multipart"
        ),
        lambda b: {"product": ProductFactory(shop=ShopFactory(owner=b))},
    ),
    "offer a voucher": Row(
        "api",
        lambda b, t, api: api.post(
            f"/api/v1/shops/{t['shop'].slug}/vouchers/",
            {
                "min_spend": "100.00",
                "discount": "10.00",
                "total": 5,
                "valid_from": timezone.now().isoformat(),
                "valid_until": (timezone.now() + timedelta(days=2)).isoformat(),
            },
        ),
        lambda b: {"shop": ShopFactory(owner=b)},
    ),
    "enrol in a sale": Row(
        "api",
        lambda b, t, api: api.post(
            f"/api/v1/sales/{t['sale'].slug}/deals/", {"product": t["product"].pk, "percent_off": 10}
        ),
        lambda b: {"product": ProductFactory(shop=ShopFactory(owner=b)), "sale": SaleEventFactory()},
    ),
    # the profile is public content too
    "edit the profile": Row("api", lambda b, t, api: api.patch("/api/v1/me/", {"bio": "Buy from my other shop"})),
}


# The room's socket runs in other threads: its rows need committed data.
PARAMS = [
    pytest.param(name, marks=pytest.mark.django_db(transaction=row.via == "socket"), id=name)
    for name, row in TABLE.items()
]


@pytest.mark.parametrize("name", PARAMS)
def test_a_banned_person_is_refused_every_action_and_nothing_is_written(name):
    # given a person with things of their own (or someone else's to act on), then banned
    row = TABLE[name]
    banned = UserFactory(username="banned")
    things = {} if row.later else row.setup(banned)
    services.ban_create(user=banned, by=make_moderator(username="mod"), reason="spam", days=7)
    if row.later:
        things = row.setup(banned)
    message = services.posting_refused(banned)
    client = APIClient() if row.via == "api" else Client()
    if row.via == "api":
        client.force_authenticate(banned)
    elif row.via == "page":
        client.force_login(banned)
    before = snapshot()

    # when they try
    if row.via == "service":
        with pytest.raises(ApplicationError) as refused:
            row.act(banned, things, client)
        result = (refused.value.status, refused.value.code, refused.value.message)
    else:
        result = row.act(banned, things, client)

    # then they are told why, and nothing was written
    if row.via == "api":
        assert (result.status_code, result.json()) == (403, {"error": {"code": "banned", "message": message}})
    elif row.via == "page":
        assert result.status_code == 200 and message in result.content.decode()
    elif row.via == "media":
        assert (result.status_code, result.content.decode()) == (403, message)
    elif row.via == "socket":
        error, events = result
        assert error == {"type": "error", "code": "banned", "message": message}
        assert not [e for e in events if e["type"] in ("chat", "tally", "pin") or e.get("total")]
    else:
        assert result == (403, "banned", message)
    assert snapshot() == before


def test_the_table_covers_every_kind_a_banned_person_writes():
    """Every registered kind with an author (but profiles and chat, whose rows are above by
    name) has at least one row that would have created it."""
    from community import moderation as registry

    made_by_rows = {
        "question": "ask a question",
        "answer": "answer",
        "review": "review a purchase",
        "story": "post a story",
        "comment": "comment",
        "shop": "open a shop",
        "product": "add a product",
        "room": "schedule a room",
        "chat_message": "chat",
        "user": "edit the profile",
    }
    assert set(made_by_rows) == {kind.name for kind in registry.kinds()}
    assert set(made_by_rows.values()) <= set(TABLE)


@pytest.mark.django_db
def test_a_banned_person_still_signs_in_reads_sees_and_pays_orders():
    banned = UserFactory(username="banned")
    banned.set_password("a long secret 42")
    banned.save()
    order = OrderFactory(buyer=banned, status=OrderStatus.PENDING_PAYMENT)
    story = StoryFactory()
    services.ban_create(user=banned, by=make_moderator(username="mod"), reason="spam")  # permanent

    signed_in = APIClient().post("/api/v1/auth/token/", {"username": "banned", "password": "a long secret 42"})
    assert signed_in.status_code == 200
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {signed_in.json()['token']}")
    assert api.get(f"/api/v1/stories/{story.pk}/").status_code == 200
    assert order.pk in [row["id"] for row in api.get("/api/v1/orders/").json()["results"]]
    assert api.post(f"/api/v1/orders/{order.pk}/pay/").status_code == 200
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID

    # and buying is not selling: checkout still works
    make_address(banned)
    fill_cart(banned, (make_product(stock=3), 1))
    placed = api.post("/api/v1/checkout/", {}, format="json")
    assert placed.status_code == 201
    assert Order.objects.filter(buyer=banned).count() == 2
