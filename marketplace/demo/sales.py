"""Demo sales data: a 12.12 sale that opens a few minutes after ``make run`` seeds it (so a
newcomer watches the countdown flip and the prices drop), approved deals including a flash deal,
and shop vouchers. Runs after the catalogue steps; idempotent (keyed by the sale's slug)."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from marketplace.models import Deal, DealStatus, Product, ProductStatus, SaleEvent, Shop, Voucher
from marketplace.services import sales as sale_services

SALE_SLUG = "double-12"
#: ``make run`` seeds right before the servers start: the sale opens this long after.
OPENS_AFTER = timedelta(minutes=3)
SALE_LENGTH = timedelta(days=2)


def seed_sale(ctx):
    now = timezone.now().replace(microsecond=0)
    sale = SaleEvent.objects.filter(slug=SALE_SLUG).first() or sale_services.sale_create(
        name="12.12 Double Twelve",
        slug=SALE_SLUG,
        starts_at=now + OPENS_AFTER,
        ends_at=now + OPENS_AFTER + SALE_LENGTH,
        description="The year's last big sale: deals from every shop, flash deals while they last, "
        "and shop vouchers to claim ahead of time.",
    )
    ctx["sale"] = sale
    products = list(
        Product.objects.filter(status=ProductStatus.ACTIVE, stock__gt=0).select_related("shop").order_by("id")[:12]
    )
    for index, product in enumerate(products):
        if Deal.objects.filter(sale=sale, product=product).exists():
            continue
        terms = {"percent_off": (15, 20, 25, 30, 40)[index % 5]}
        if index == 0:
            # The flash deal: half price, a handful of units, one per buyer.
            terms = {"percent_off": 50, "flash_quantity": min(5, product.stock), "per_buyer_limit": 1}
        elif index % 3 == 2:
            terms = {"deal_price": (product.price * Decimal("0.7")).quantize(Decimal("0.01"))}
        deal = sale_services.deal_enrol(
            user=product.shop.owner,
            sale=sale,
            product_id=product.id,
            now=sale.starts_at - timedelta(seconds=1),
            **terms,
        )
        sale_services.deal_moderate(deal_ids=[deal.id], approve=True)


def seed_vouchers(ctx):
    now = timezone.now().replace(microsecond=0)
    for shop in Shop.objects.filter(id__in=Product.objects.values("shop_id")).select_related("owner"):
        if Voucher.objects.filter(shop=shop).exists():
            continue
        for min_spend, discount in ((Decimal("100"), Decimal("10")), (Decimal("300"), Decimal("40"))):
            sale_services.voucher_create(
                user=shop.owner,
                shop=shop,
                title="12.12 voucher",
                min_spend=min_spend,
                discount=discount,
                total=50,
                valid_from=now,
                valid_until=now + OPENS_AFTER + SALE_LENGTH,
            )


STEPS = [("12.12 sale with deals", seed_sale), ("shop vouchers", seed_vouchers)]


# --- Data for bench/flash_sale_http.py (run through ``manage.py shell``) -------------------------


def bench_flash_sale(*, run: str, buyers: int, flash_quantity: int, stock: int) -> dict:
    """A live sale with one flash deal (half price, ``flash_quantity`` units, one per buyer) on a
    product with ``stock`` units, and ``buyers`` users with API tokens and that product in their
    carts. Names carry ``run`` so repeated runs do not collide. Returns ids and tokens."""
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from marketplace.models import Address, Cart, CartItem, Category

    User = get_user_model()
    now = timezone.now()
    seller = User.objects.create(username=f"flash-seller-{run}")
    shop = Shop.objects.create(owner=seller, name=f"Flash shop {run}", slug=f"flash-shop-{run}")
    category = Category.objects.order_by("id").first() or Category.objects.create(name="Bench", slug="bench")
    product = Product.objects.create(
        shop=shop,
        category=category,
        title="Flash kettle",
        price=Decimal("100.00"),
        stock=stock,
        status=ProductStatus.ACTIVE,
    )
    sale = sale_services.sale_create(
        name=f"Flash bench {run}",
        slug=f"flash-bench-{run}",
        starts_at=now - timedelta(seconds=1),
        ends_at=now + timedelta(hours=1),
    )
    deal = Deal.objects.create(
        sale=sale,
        product=product,
        percent_off=50,
        flash_quantity=flash_quantity,
        per_buyer_limit=1,
        status=DealStatus.APPROVED,
    )
    users = User.objects.bulk_create(
        [User(username=f"flash-{run}-{i}", password="!") for i in range(buyers)], batch_size=1000
    )
    tokens = Token.objects.bulk_create([Token(user=u, key=Token.generate_key()) for u in users], batch_size=1000)
    carts = Cart.objects.bulk_create([Cart(user=u) for u in users], batch_size=1000)
    CartItem.objects.bulk_create([CartItem(cart=c, product=product, quantity=1) for c in carts], batch_size=1000)
    # Checkout ships to the buyer's default address: every bench buyer has one.
    Address.objects.bulk_create(
        [
            Address(
                user=u,
                recipient=u.username,
                mobile="13800138000",
                province="上海市",
                city="上海市",
                district="黄浦区",
                street="南京东路 1 号",
                is_default=True,
            )
            for u in users
        ],
        batch_size=1000,
    )
    return {"deal": deal.id, "product": product.id, "tokens": [t.key for t in tokens]}


def bench_flash_sale_result(*, deal_id: int) -> dict:
    """What a flash run left behind: units counted against the deal, units in orders through it,
    the product's stock."""
    from django.db.models import Sum

    from marketplace.models import OrderLine, OrderStatus

    deal = Deal.objects.select_related("product").get(id=deal_id)
    lines = OrderLine.objects.filter(deal=deal).exclude(order__status__in=[OrderStatus.EXPIRED, OrderStatus.CANCELLED])
    return {
        "flash_quantity": deal.flash_quantity,
        "flash_sold": deal.flash_sold,
        "units_in_orders": lines.aggregate(units=Sum("quantity"))["units"] or 0,
        "orders": lines.values("order_id").distinct().count(),
        "stock_left": deal.product.stock,
    }
