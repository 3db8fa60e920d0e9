"""Demo sales data: three sales so every part of the sales pages has something to show —

* a winter warm-up that is **live now** (deal prices show at once, flash deals part sold),
* the **12.12** sale, dated 12 December (the next one that has not ended), with deals to tease,
* the **11.11** sale, dated 11 November and over (its deals say what they cost then),

each with a drawn banner and approved deals (different products per sale, so no product has two
deals at once), and shop vouchers. Runs after the catalogue and order steps; idempotent (keyed by
the sales' slugs)."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from io import BytesIO

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.models import F
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

from marketplace.models import Deal, DealStatus, Product, ProductStatus, SaleEvent, Shop, Voucher
from marketplace.services import sales as sale_services

SALE_SLUG = "double-12"
LIVE_SLUG = "winter-warm-up"
PAST_SLUG = "double-11"
#: The live sale started this long before seeding and ends this long after.
LIVE_SINCE, LIVE_FOR = timedelta(days=1), timedelta(days=3)
#: Fonts tried for the banners' words (fonts-noto-cjk on Debian); without them, Pillow's own.
BANNER_FONTS = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", "DejaVuSans-Bold.ttf")


@dataclass(frozen=True)
class DemoSale:
    slug: str
    name: str
    headline: str  # the banner's big words
    colours: tuple[str, str]
    description: str
    products: slice  # which active products (by id) get its deals
    #: (flash units, units already sold) of its flash deals, on its products with the most stock
    flash: tuple[tuple[int, int], ...] = ()


SALES = [
    DemoSale(
        LIVE_SLUG,
        "Winter Warm-up 冬日暖心购",
        "WARM-UP 暖心购",
        ("#8c1d18", "#e65100"),
        "Warm things for cold days, on now: tea, candles, silk and more at warm-up prices. "
        "Flash deals are limited: once they are gone, they are gone.",
        slice(12, 24),
        flash=((200, 83), (60, 12)),
    ),
    DemoSale(
        SALE_SLUG,
        "12.12 Double Twelve 双十二",
        "12.12",
        ("#b3261e", "#6a1b9a"),
        "The year's last big sale, all day on 12 December: deals from every shop, flash deals while "
        "they last, and shop vouchers to claim ahead of time.",
        slice(0, 12),
        flash=((5, 0),),
    ),
    DemoSale(
        PAST_SLUG,
        "11.11 Singles' Day 双十一",
        "11.11",
        ("#0d47a1", "#00695c"),
        "Singles' Day, 11 November. Thank you for shopping with us — see you at 12.12!",
        slice(24, 34),
        flash=((30, 30),),
    ),
]


def _day(month: int, day: int, *, now: datetime, upcoming: bool) -> tuple[datetime, datetime]:
    """The local day ``month``/``day`` as ``(start, end)``: for ``upcoming``, the next one that
    has not ended at ``now`` (today's, on the day itself); otherwise the last one that has."""
    tz = timezone.get_current_timezone()
    year = timezone.localtime(now, tz).year
    for candidate in (year, year + 1) if upcoming else (year, year - 1):
        start = datetime(candidate, month, day, tzinfo=tz)
        if (start + timedelta(days=1) > now) == upcoming:
            return start, start + timedelta(days=1)
    raise AssertionError("unreachable: one of two consecutive years qualifies")


def _font(size: int):
    for name in BANNER_FONTS:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


def draw_banner(sale: DemoSale, *, width: int = 1200, height: int = 360) -> bytes:
    """A banner: a two-colour gradient, lanterns of light, and the sale's big words."""
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    left, right = (tuple(int(c[i : i + 2], 16) for i in (1, 3, 5)) for c in sale.colours)
    for x in range(width):
        t = x / (width - 1)
        draw.line([(x, 0), (x, height)], fill=tuple(round(a + (b - a) * t) for a, b in zip(left, right, strict=True)))
    for i in range(9):  # soft circles, like lanterns
        x, r = 80 + i * 135, 28 + (i * 37) % 50
        y = 40 + (i * 53) % (height - 80)
        draw.ellipse([x - r, y - r, x + r, y + r], outline="#ffd54f", width=4)
    draw.text((width // 2, height // 2), sale.headline, font=_font(120), fill="#fff8e1", anchor="mm")
    out = BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


def _window(sale: DemoSale, now: datetime) -> tuple[datetime, datetime]:
    if sale.slug == LIVE_SLUG:
        return now - LIVE_SINCE, now + LIVE_FOR
    if sale.slug == SALE_SLUG:
        return _day(12, 12, now=now, upcoming=True)
    return _day(11, 11, now=now, upcoming=False)


def seed_sales(ctx):
    now = timezone.now().replace(microsecond=0)
    in_stock = Product.objects.filter(status=ProductStatus.ACTIVE, stock__gt=0)
    active = list(in_stock.select_related("shop").order_by("id"))
    for demo in SALES:
        if SaleEvent.objects.filter(slug=demo.slug).exists():
            continue
        starts_at, ends_at = _window(demo, now)
        banner = SimpleUploadedFile(f"{demo.slug}.jpg", draw_banner(demo), content_type="image/jpeg")
        sale = sale_services.sale_create(
            name=demo.name,
            slug=demo.slug,
            starts_at=starts_at,
            ends_at=ends_at,
            description=demo.description,
            banner=banner,
        )
        ctx.setdefault("sales", {})[demo.slug] = sale
        products = active[demo.products]
        roomiest = sorted(range(len(products)), key=lambda i: (-products[i].stock, i))
        flash = dict(zip(roomiest, demo.flash, strict=False))
        for index, product in enumerate(products):
            terms = {"percent_off": (15, 20, 25, 30, 40)[index % 5]}
            if index in flash:
                units, _sold = flash[index]
                terms = {"percent_off": 50, "flash_quantity": min(units, product.stock), "per_buyer_limit": 2}
            elif index % 3 == 2:
                terms = {"deal_price": (product.price * Decimal("0.7")).quantize(Decimal("0.01"))}
            deal = sale_services.deal_enrol(
                user=product.shop.owner,
                sale=sale,
                product_id=product.id,
                now=starts_at - timedelta(seconds=1),
                **terms,
            )
            sale_services.deal_moderate(deal_ids=[deal.id], approve=True)
            if index in flash and flash[index][1]:
                # Demo only: the units "sold" before this visitor came (a live flash deal shows
                # its progress at once). Real units are only ever taken by checkout.
                sold = min(flash[index][1], deal.flash_quantity)
                Deal.objects.filter(pk=deal.pk).update(flash_sold=sold)
                Product.objects.filter(pk=product.pk).update(sales_count=F("sales_count") + sold)
    # The 12.12 sale is also what the clock and pages call "the sale" in the docs and journeys.
    ctx["sale"] = SaleEvent.objects.filter(slug=SALE_SLUG).first()


def seed_vouchers(ctx):
    now = timezone.now().replace(microsecond=0)
    sale = SaleEvent.objects.filter(slug=SALE_SLUG).first()
    until = sale.ends_at if sale else now + timedelta(days=14)
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
                valid_until=until,
            )


STEPS = [("sales: live, 12.12 and 11.11, with deals", seed_sales), ("shop vouchers", seed_vouchers)]


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
    if connection.vendor == "postgresql":
        # Fresh planner statistics after the bulk load, as autovacuum would give a live site
        # (with a thousand carts counted as none, checkout's cart read scanned them all per row).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
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
