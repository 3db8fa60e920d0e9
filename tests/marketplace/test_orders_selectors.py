"""The one "purchases" rule: paid, or anything a paid order moves on to."""

import pytest

from marketplace.models import OrderStatus
from marketplace.selectors.orders import order_line_list_purchased, order_list_purchased
from tests.marketplace.factories import OrderLineFactory

pytestmark = pytest.mark.django_db

# An open refund or return request is still a purchase until it is granted; refunded and
# returned orders are not.
PURCHASED = {
    OrderStatus.PAID,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
    OrderStatus.COMPLETED,
    OrderStatus.REFUND_REQUESTED,
    OrderStatus.RETURN_REQUESTED,
}


def test_paid_and_later_orders_are_purchases_and_nothing_else():
    # given one order line in every status
    lines = {status: OrderLineFactory(order__status=status) for status in OrderStatus}

    # then the purchase selectors hold exactly the paid-or-later ones
    assert set(order_list_purchased().values_list("status", flat=True)) == PURCHASED
    assert set(order_line_list_purchased()) == {lines[status] for status in PURCHASED}


def test_purchases_of_one_buyer_and_one_product():
    line = OrderLineFactory(order__status=OrderStatus.PAID)
    other = OrderLineFactory(order__status=OrderStatus.PAID)

    assert list(order_line_list_purchased(buyer_id=line.order.buyer_id)) == [line]
    assert list(order_line_list_purchased(product_id=other.product_id)) == [other]
    assert not order_line_list_purchased(buyer_id=line.order.buyer_id, product_id=other.product_id).exists()
