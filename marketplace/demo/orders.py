"""Demo orders and reviews: the demo shoppers' delivery addresses, their orders in every state (so
sellers have orders to ship and products show ratings), and one item waiting in a cart.
Everything goes through the services. Idempotent: each order is a checkout with a fixed
Idempotency-Key, skipped when that key was used before."""

from core.errors import ApplicationError
from marketplace.models import CartItem, CheckoutRequest, Order, OrderStatus, Product
from marketplace.services import addresses as address_services
from marketplace.services import cart as cart_services
from marketplace.services import checkout as checkout_services
from marketplace.services import orders as order_services
from marketplace.services import reviews as review_services

#: (Idempotency-Key, buyer, [(product title, quantity)], final status, [(rating, review) per line])
DEMO_ORDERS = [
    ("demo-order-1", "lili", [("Baroque pearl bracelet 巴洛克珍珠手链", 1)], OrderStatus.COMPLETED,
     [(5, "Every pearl is a different shape — it looks even better than the photos.")]),
    ("demo-order-2", "wei", [("安溪铁观音 Anxi Tieguanyin oolong", 2)], OrderStatus.COMPLETED,
     [(4, "Fragrant and fresh. The vacuum packs keep well.")]),
    ("demo-order-3", "lili", [("安溪铁观音 Anxi Tieguanyin oolong", 1), ("Osmanthus oolong tea bags 桂花乌龙", 2)],
     OrderStatus.COMPLETED, [(5, "Second time buying, still excellent."), (4, "Nice for the office.")]),
    ("demo-order-4", "wei", [("Baroque pearl bracelet 巴洛克珍珠手链", 1)], OrderStatus.COMPLETED,
     [(4, "A little smaller than I expected, but lovely.")]),
    ("demo-order-5", "wei", [("Pearl hair clip 珍珠发夹", 1)], OrderStatus.DELIVERED, []),
    ("demo-order-6", "lili", [("大红袍 Da Hong Pao rock tea", 1)], OrderStatus.SHIPPED, []),
    ("demo-order-7", "wei", [("新疆红枣 Xinjiang red dates", 1), ("Bamboo steamer 竹蒸笼", 1)], OrderStatus.PAID, []),
    ("demo-order-8", "lili", [("五香瓜子 Spiced sunflower seeds", 3)], OrderStatus.PENDING_PAYMENT, []),
    ("demo-order-9", "wei", [("Jade face roller 玉石滚轮", 1)], OrderStatus.CANCELLED, []),
]  # fmt: skip
#: Left in a cart so the cart page has something to show.
DEMO_CART = ("wei", "Osmanthus scented candle 桂花香薰蜡烛", 1)


def _product(ctx, title: str) -> Product | None:
    return (ctx.get("products") or {}).get(title) or Product.objects.filter(title=title).first()


def _advance(order: Order, status: str, reviews: list) -> None:
    """Walk one order along the lifecycle to ``status``."""
    if status == OrderStatus.CANCELLED:
        order_services.order_cancel(order=order, buyer=order.buyer)
        return
    steps = [OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED]
    for step in steps[: steps.index(status) + 1] if status in steps else []:
        if step == OrderStatus.PAID:
            order_services.order_pay(order=order, buyer=order.buyer)
        elif step == OrderStatus.SHIPPED:
            order_services.order_ship(order=order, seller=order.shop.owner)
        elif step == OrderStatus.DELIVERED:
            order_services.order_confirm_delivery(order=order, buyer=order.buyer)
        elif reviews:  # completed: reviewing the delivered order completes it
            for line, (rating, text) in zip(order.lines.order_by("id"), reviews, strict=False):
                review_services.review_create(author=order.buyer, order_line_id=line.pk, rating=rating, text=text)
        else:
            order_services.order_complete(order=order)


#: The demo shoppers' delivery addresses (checkout ships to the default one).
DEMO_ADDRESSES = {
    "wei": {"recipient": "王伟", "mobile": "13800138001", "province": "上海市", "city": "上海市",
            "district": "黄浦区", "street": "南京东路 100 号 5 楼", "postcode": "200001"},
    "lili": {"recipient": "李丽", "mobile": "13900139002", "province": "浙江省", "city": "杭州市",
             "district": "西湖区", "street": "文三路 88 号 2 单元 301 室", "postcode": "310012"},
}  # fmt: skip


def seed_addresses(ctx):
    for username, values in DEMO_ADDRESSES.items():
        user = ctx["users"].get(username)
        if user is not None:
            address_services.address_create(user=user, is_default=True, **values)  # idempotent: same fields


def seed_orders(ctx):
    users = ctx["users"]
    for key, username, items, status, reviews in DEMO_ORDERS:
        buyer = users[username]
        if CheckoutRequest.objects.filter(user=buyer, key=key).exists():
            continue
        products = [(_product(ctx, title), quantity) for title, quantity in items]
        if any(product is None or product.stock < quantity for product, quantity in products):
            continue
        for product, quantity in products:
            cart_services.cart_item_add(user=buyer, product_id=product.pk, quantity=quantity)
        try:
            result = checkout_services.checkout_submit(buyer=buyer, idempotency_key=key)
        except ApplicationError:  # e.g. sold out since the check above: this demo order is skipped
            continue
        for order in Order.objects.filter(pk__in=result.order_ids).select_related("buyer", "shop__owner"):
            _advance(order, status, reviews)


def seed_cart(ctx):
    username, title, quantity = DEMO_CART
    buyer, product = ctx["users"][username], _product(ctx, title)
    if product is not None and product.stock >= quantity and not CartItem.objects.filter(cart__user=buyer).exists():
        cart_services.cart_item_add(user=buyer, product_id=product.pk, quantity=quantity)


STEPS = [("addresses", seed_addresses), ("orders and reviews", seed_orders), ("a cart", seed_cart)]
