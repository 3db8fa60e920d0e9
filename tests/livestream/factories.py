"""factory_boy factories for livestream models."""

from datetime import timedelta

import factory
from django.utils import timezone

from livestream.models import ChatMessage, Room, RoomProduct, RoomStatus, Show, StreamKey
from tests.community.factories import UserFactory


class ShowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Show

    host = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Show {n}")
    slug = factory.Sequence(lambda n: f"show-{n}")


class RoomFactory(factory.django.DjangoModelFactory):
    """A scheduled room starting in an hour (``status=RoomStatus.LIVE`` for a live one)."""

    class Meta:
        model = Room

    host = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Room {n}")
    scheduled_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=1))
    started_at = factory.LazyAttribute(lambda o: timezone.now() if o.status != RoomStatus.SCHEDULED else None)
    status = RoomStatus.SCHEDULED
    stream_name = factory.LazyAttribute(lambda o: f"test-{o.title.split()[-1]}" if o.status == RoomStatus.LIVE else "")


class RoomProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoomProduct

    room = factory.SubFactory(RoomFactory)
    product = factory.SubFactory("tests.marketplace.factories.ProductFactory")
    position = factory.Sequence(lambda n: n)


class ChatMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChatMessage

    room = factory.SubFactory(RoomFactory)
    user = factory.SubFactory(UserFactory)
    text = factory.Sequence(lambda n: f"message {n}")


class StreamKeyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StreamKey

    user = factory.SubFactory(UserFactory)


def live_room_with_shelf(*, products: int = 2, **kwargs) -> tuple[Room, list]:
    """A live room and its shelf of ``products`` products (each from its own shop)."""
    from tests.marketplace.factories import ProductFactory

    room = RoomFactory(status=RoomStatus.LIVE, **kwargs)
    shelf = [ProductFactory(stock=100) for _ in range(products)]
    for position, product in enumerate(shelf):
        RoomProductFactory(room=room, product=product, position=position)
    return room, shelf
