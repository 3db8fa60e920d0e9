"""Demo sales data: a 12.12 sale that opens a few minutes after ``make run`` seeds it (so a
newcomer watches the countdown flip and the prices drop), approved deals including a flash deal,
and shop vouchers. Runs after the catalogue steps; idempotent (keyed by the sale's slug)."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from marketplace.models import Deal, Product, ProductStatus, SaleEvent, Shop, Voucher
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
