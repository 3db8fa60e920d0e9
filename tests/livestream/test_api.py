"""The live-room API: lists and details with pinned query counts at two sizes, the shelf priced
for the caller, remind-me, stats for the host only, stream keys."""

from decimal import Decimal

import pytest
from rest_framework.authtoken.models import Token

from livestream.models import RoomStatus
from livestream.services import live
from tests.community.factories import UserFactory, make_moderator
from tests.livestream.factories import RoomFactory, RoomProductFactory, ShowFactory, live_room_with_shelf

pytestmark = pytest.mark.django_db


def _rooms(n: int):
    for i in range(n):
        RoomFactory(status=[RoomStatus.LIVE, RoomStatus.SCHEDULED, RoomStatus.ENDED][i % 3])


@pytest.mark.parametrize("size", [3, 12])
def test_room_list_runs_a_fixed_number_of_queries(api_client, django_assert_num_queries, size):
    _rooms(size)
    with django_assert_num_queries(2):  # count + page (host, shop, show joined)
        response = api_client.get("/api/v1/rooms/")
    assert response.status_code == 200 and response.json()["count"] == size
    live_only = api_client.get("/api/v1/rooms/?status=live").json()["results"]
    assert {room["status"] for room in live_only} == {"live"}
    assert live_only[0]["websocket"].startswith("/ws/live/")


def test_room_list_refuses_an_unknown_status(api_client):
    response = api_client.get("/api/v1/rooms/?status=paused")
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_status"


def test_room_detail_and_hls_url(api_client, settings):
    settings.LIVE_HLS_URL_TEMPLATE = "https://cdn.example/hls/{stream}.m3u8"
    room = RoomFactory(status=RoomStatus.LIVE)
    body = api_client.get(f"/api/v1/rooms/{room.pk}/").json()
    assert body["hls"] == f"https://cdn.example/hls/{room.stream_name}.m3u8"
    assert api_client.get("/api/v1/rooms/999999/").status_code == 404


@pytest.mark.parametrize("size", [2, 8])
def test_shelf_is_priced_for_the_caller(api_client, django_assert_num_queries, size):
    room, shelf = live_room_with_shelf(products=size)
    live.room_pin(room=room, product_id=shelf[0].pk, by=room.host, deal_price=Decimal("10.00"), deal_quantity=5)
    viewer = UserFactory()
    live.room_deal_grab(room=room, user=viewer)
    api_client.force_authenticate(viewer)
    with django_assert_num_queries(3):  # room, shelf rows, priced products
        body = api_client.get(f"/api/v1/rooms/{room.pk}/products/").json()
    assert [p["id"] for p in body] == [p.pk for p in shelf]
    assert body[0]["effective_price"] == "10.00" and body[1]["effective_price"] == "100.00"
    api_client.force_authenticate(None)
    assert api_client.get(f"/api/v1/rooms/{room.pk}/products/").json()[0]["effective_price"] == "100.00"


def test_remind_needs_sign_in_and_a_scheduled_room(api_client):
    room, user = RoomFactory(), UserFactory()
    assert api_client.post(f"/api/v1/rooms/{room.pk}/remind/").status_code == 401
    api_client.force_authenticate(user)
    assert api_client.post(f"/api/v1/rooms/{room.pk}/remind/").json() == {"reminded": True}
    assert api_client.delete(f"/api/v1/rooms/{room.pk}/remind/").json() == {"reminded": False}
    ended = RoomFactory(status=RoomStatus.ENDED)
    response = api_client.post(f"/api/v1/rooms/{ended.pk}/remind/")
    assert response.status_code == 409 and response.json()["error"]["code"] == "not_scheduled"


def test_stats_are_for_the_host_and_moderators_only(api_client):
    room = RoomFactory(status=RoomStatus.ENDED, peak_viewers=7)
    api_client.force_authenticate(UserFactory())
    assert api_client.get(f"/api/v1/rooms/{room.pk}/stats/").status_code == 404
    api_client.force_authenticate(room.host)
    body = api_client.get(f"/api/v1/rooms/{room.pk}/stats/").json()
    assert body["peak_viewers"] == 7 and body["visit_rate"] == 0.0
    api_client.force_authenticate(UserFactory(is_staff=True))  # is_staff alone grants nothing
    assert api_client.get(f"/api/v1/rooms/{room.pk}/stats/").status_code == 404
    moderator = make_moderator()
    api_client.force_authenticate(moderator)
    assert api_client.get(f"/api/v1/rooms/{room.pk}/stats/").status_code == 200


@pytest.mark.parametrize("size", [1, 4])
def test_shows_list_their_episodes_with_vote_results(api_client, django_assert_num_queries, size):
    show = ShowFactory()
    for _ in range(size):
        room = RoomFactory(host=show.host, show=show, status=RoomStatus.ENDED)
        RoomProductFactory(room=room, yea=3, nay=1)
    with django_assert_num_queries(2):
        listing = api_client.get("/api/v1/shows/").json()
    assert listing["results"][0]["episode_count"] == size
    with django_assert_num_queries(3):  # show, episodes, their shelves with products
        body = api_client.get(f"/api/v1/shows/{show.slug}/").json()
    assert len(body["episodes"]) == size
    assert body["episodes"][0]["results"][0]["yea"] == 3


def test_stream_key_is_private_and_rotates_with_a_token(api_client):
    user = UserFactory()
    assert api_client.get("/api/v1/me/stream-key/").status_code == 401
    token = Token.objects.create(user=user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    first = api_client.get("/api/v1/me/stream-key/").json()
    rotated = api_client.post("/api/v1/me/stream-key/").json()
    assert first["key"] != rotated["key"] and rotated["rtmp_url"].startswith("rtmp://")
