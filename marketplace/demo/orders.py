"""Demo orders and reviews: the demo shoppers' delivery addresses, their orders in every state (so
sellers have orders to ship and products show ratings), and a month of completed orders in every
shop, paid on different days, so each seller's 30-day revenue chart has a story. Everything goes
through the services; then the timestamps are moved back (the services stamp "now"). No cart is
left with anything in it: a shopper's cart holds only what they put there. Idempotent: each order
is a checkout with a fixed Idempotency-Key, skipped when that key was used before."""

import hashlib
from datetime import timedelta

from django.db.models import F

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
#: How many days ago each demo order was placed and paid (the rest: today).
DEMO_ORDER_DAYS_AGO = {
    "demo-order-1": 26, "demo-order-2": 22, "demo-order-3": 15, "demo-order-4": 11,
    "demo-order-5": 6, "demo-order-6": 3, "demo-order-7": 1,
}  # fmt: skip
#: Per shop, products with plenty of stock that the month's history orders buy (one or two units).
HISTORY_PRODUCTS = {
    "meimei-pearls": ["本命年红绳手链 Red string bracelet", "Pearl stud earrings 珍珠耳钉"],
    "xiaoming-tea": [
        "五香瓜子 Spiced sunflower seeds", "Osmanthus oolong tea bags 桂花乌龙", "新疆红枣 Xinjiang red dates",
    ],
    "lanlan-home": [
        "剪纸窗花 Paper-cut window art", "Osmanthus scented candle 桂花香薰蜡烛", "国风口红 Chinese-style lipstick",
    ],
    "dawei-digital": [
        "Magnetic phone stand 手机支架", "65W USB-C fast charger 快充充电器", "Bluetooth earbuds 蓝牙耳机",
    ],
}  # fmt: skip
HISTORY_BUYERS = ("lili", "wei")
#: Days ago (1–29) on which a shop has a history order: about one day in three, different per shop.
HISTORY_DAYS = range(29, 0, -1)


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


def _backdate(order_ids: list[int], days: int) -> None:
    """Move the orders' timestamps ``days`` back (demo only: the services stamp the present)."""
    if days:
        delta = timedelta(days=days)
        stamps = ("created_at", "paid_at", "shipped_at", "delivered_at", "completed_at", "closed_at")
        Order.objects.filter(pk__in=order_ids).update(**{name: F(name) - delta for name in stamps})


def _place(buyer, key: str, products: list[tuple[Product, int]]) -> list[int]:
    """Check out ``products`` for ``buyer`` under ``key``; the order ids, or [] when it could not
    be placed. The buyer's cart is empty afterwards either way."""
    CartItem.objects.filter(cart__user=buyer).delete()
    try:
        for product, quantity in products:
            cart_services.cart_item_add(user=buyer, product_id=product.pk, quantity=quantity)
        return checkout_services.checkout_submit(buyer=buyer, idempotency_key=key).order_ids
    except ApplicationError:  # e.g. sold out since the check: this demo order is skipped
        return []
    finally:
        CartItem.objects.filter(cart__user=buyer).delete()


def _walk(order_ids: list[int], status: str, reviews: list, days_ago: int) -> None:
    for order in Order.objects.filter(pk__in=order_ids).select_related("buyer", "shop__owner"):
        _advance(order, status, reviews)
    _backdate(order_ids, days_ago)


def seed_orders(ctx):
    users = ctx["users"]
    for key, username, items, status, reviews in DEMO_ORDERS:
        buyer = users[username]
        if CheckoutRequest.objects.filter(user=buyer, key=key).exists():
            continue
        products = [(_product(ctx, title), quantity) for title, quantity in items]
        if any(product is None or product.stock < quantity for product, quantity in products):
            continue
        _walk(_place(buyer, key, products), status, reviews, DEMO_ORDER_DAYS_AGO.get(key, 0))


def _history_plan(shop_slug: str) -> list[tuple[int, str, str, int]]:
    """``(days ago, buyer, product title, quantity)`` for a shop's month of history, the same on
    every run (a hash of the shop and the day, not a random number)."""
    titles = HISTORY_PRODUCTS[shop_slug]
    plan = []
    for days_ago in HISTORY_DAYS:
        digest = int(hashlib.sha1(f"{shop_slug}:{days_ago}".encode()).hexdigest(), 16)
        if digest % 3 == 0:
            buyer = HISTORY_BUYERS[digest % len(HISTORY_BUYERS)]
            plan.append((days_ago, buyer, titles[digest % len(titles)], 1 + digest % 2))
    return plan


def seed_order_history(ctx):
    users = ctx["users"]
    for shop_slug in HISTORY_PRODUCTS:
        for days_ago, username, title, quantity in _history_plan(shop_slug):
            buyer, product = users.get(username), _product(ctx, title)
            key = f"demo-history-{shop_slug}-{days_ago}"
            if buyer is None or product is None or product.stock < quantity + 5:
                continue
            if CheckoutRequest.objects.filter(user=buyer, key=key).exists():
                continue
            _walk(_place(buyer, key, [(product, quantity)]), OrderStatus.COMPLETED, [], days_ago)
            product.refresh_from_db(fields=["stock"])


STEPS = [
    ("addresses", seed_addresses),
    ("orders and reviews", seed_orders),
    ("a month of orders", seed_order_history),
]
