"""Room-only flash deals: priced only for viewers who grabbed them, sold by the same checkout
with the same never-oversell conditional updates as sale-day flash deals."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from core.errors import ApplicationError
from livestream.services import live
from marketplace.models import Deal, DealKind, DealStatus, OrderLine
from marketplace.selectors.catalogue import product_list_public
from marketplace.selectors.orders import cart_get
from marketplace.services.checkout import order_place
from marketplace.services.live_deals import live_deal_claim, live_deal_create
from tests.community.factories import UserFactory
from tests.concurrency import run_concurrently
from tests.livestream.factories import live_room_with_shelf
from tests.marketplace.factories import fill_cart


def _pin_with_deal(room, product, **deal):
    terms = {"deal_price": Decimal("59.00"), "deal_quantity": 20, "deal_minutes": 5, "per_buyer_limit": 1}
    return live.room_pin(room=room, product_id=product.pk, by=room.host, **{**terms, **deal})


@pytest.mark.django_db
def test_a_live_deal_is_approved_at_once_and_prices_only_for_those_who_grabbed_it():
    room, (product, _) = live_room_with_shelf()
    pin = _pin_with_deal(room, product)
    viewer, outsider = UserFactory(), UserFactory()
    live.room_deal_grab(room=room, user=viewer)

    deal = pin.deal
    assert (deal.kind, deal.status, deal.sale_id, deal.audience) == (
        DealKind.LIVE,
        DealStatus.APPROVED,
        None,
        f"room:{room.pk}",
    )
    price = {p.pk: p.effective_price for p in product_list_public(buyer=viewer).filter(pk=product.pk)}
    assert price == {product.pk: Decimal("59.00")}
    assert product_list_public(buyer=outsider).get(pk=product.pk).effective_price == Decimal("100.00")
    assert product_list_public().get(pk=product.pk).effective_price == Decimal("100.00")  # anonymous, cached pages
    fill_cart(viewer, (product, 1))
    fill_cart(outsider, (product, 1))
    assert cart_get(user=viewer).total == Decimal("59.00")
    assert cart_get(user=outsider).total == Decimal("100.00")


@pytest.mark.django_db
def test_a_live_deal_ends_by_the_clock_and_cannot_be_grabbed_after():
    room, (product, _) = live_room_with_shelf()
    pin = _pin_with_deal(room, product, deal_minutes=1)
    viewer = UserFactory()
    live.room_deal_grab(room=room, user=viewer)
    later = timezone.now() + timedelta(minutes=2)

    assert product_list_public(buyer=viewer, now=later).get(pk=product.pk).effective_price == Decimal("100.00")
    with pytest.raises(ApplicationError) as refused:
        live_deal_claim(deal=pin.deal, buyer=UserFactory(), now=later)
    assert refused.value.code == "deal_ended"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("terms", "code"),
    [
        ({"deal_price": Decimal("100.00")}, "invalid_deal"),  # not below the normal price
        ({"deal_minutes": 21}, "invalid_deal"),
        ({"deal_quantity": 101}, "invalid_deal"),  # more than the stock of 100
        ({"per_buyer_limit": 21}, "invalid_deal"),
    ],
)
def test_bad_deal_terms_are_refused_and_nothing_is_pinned(terms, code):
    room, (product, _) = live_room_with_shelf()
    with pytest.raises(ApplicationError) as refused:
        _pin_with_deal(room, product, **terms)
    assert refused.value.code == code
    assert not Deal.objects.exists() and not room.pins.exists()


@pytest.mark.django_db
def test_a_new_live_deal_on_the_same_product_ends_the_previous_one():
    room, (product, _) = live_room_with_shelf()
    first = _pin_with_deal(room, product).deal
    second = _pin_with_deal(room, product, deal_price=Decimal("49.00")).deal
    first.refresh_from_db()
    assert first.ends_at <= timezone.now() < second.ends_at


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_viewers_and_outsiders_race_for_twenty_units_and_exactly_twenty_sell_to_viewers(postgres):
    """100 viewers (each grabbed the deal, limit 1, each tries twice) and 50 outsiders race for
    20 deal units on 40 threads: exactly 20 sell at the deal price, all to viewers, none over the
    limit; outsiders pay the normal price."""
    room, (product, _) = live_room_with_shelf()
    product.stock = 500
    product.save(update_fields=["stock"])
    deal = _pin_with_deal(room, product).deal
    viewers = UserFactory.create_batch(100)
    outsiders = UserFactory.create_batch(50)
    for viewer in viewers:
        live_deal_claim(deal=deal, buyer=viewer)

    def buy(user):
        return lambda: order_place(buyer=user, items=[(product.pk, 1)])

    calls = [buy(user) for user in viewers] + [buy(user) for user in outsiders] + [buy(user) for user in viewers]
    results = run_concurrently(calls)

    unexpected = [r for r in results if isinstance(r, Exception) and not isinstance(r, ApplicationError)]
    assert not unexpected
    refusals = {r.code for r in results if isinstance(r, ApplicationError)}
    assert refusals <= {"sold_out", "limit_reached"}
    deal_lines = OrderLine.objects.filter(deal=deal).select_related("order")
    assert sum(line.quantity for line in deal_lines) == 20
    assert {line.unit_price for line in deal_lines} == {Decimal("59.00")}
    buyers = [line.order.buyer_id for line in deal_lines]
    assert set(buyers) <= {v.pk for v in viewers}
    assert len(buyers) == len(set(buyers)), "someone bought over the per-buyer limit"
    outsider_lines = OrderLine.objects.filter(order__buyer__in=outsiders)
    assert outsider_lines.count() == 50
    assert {(line.deal_id, line.unit_price) for line in outsider_lines} == {(None, Decimal("100.00"))}
    deal.refresh_from_db()
    product.refresh_from_db()
    assert deal.flash_sold == 20
    # Viewers whose deal sold out were refused (the deal is their price), not sold at full price.
    assert OrderLine.objects.filter(product=product).count() == 70
    assert product.stock == 500 - 70


@pytest.mark.django_db
def test_live_deal_create_is_the_marketplace_service_livestream_calls():
    room, (product, _) = live_room_with_shelf()
    deal = live_deal_create(product=product, audience="room:x", price="80", quantity=None, minutes=1)
    assert deal.deal_price == Decimal("80.00") and deal.flash_quantity is None
