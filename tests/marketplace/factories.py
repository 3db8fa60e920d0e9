"""factory_boy factories for marketplace models, one per model, by sub-domain."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from marketplace.models import (
    Address,
    Cart,
    CartItem,
    Category,
    Deal,
    DealStatus,
    Order,
    OrderLine,
    OrderStatus,
    Product,
    ProductImage,
    ProductStatus,
    Review,
    SaleEvent,
    Shop,
    Voucher,
    VoucherClaim,
)
from tests.community.factories import UserFactory

# --- catalogue ---------------------------------------------------------------------------------


class ShopFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shop

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Shop {n}")
    slug = factory.Sequence(lambda n: f"shop-{n}")
    description = "A small shop."


class CategoryFactory(factory.django.DjangoModelFactory):
    """A category (top-level unless ``parent`` is given); ``path`` is set by ``Category.save``."""

    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")
    parent = None


class ProductFactory(factory.django.DjangoModelFactory):
    """An ACTIVE product in stock (public when its shop is active)."""

    class Meta:
        model = Product
        skip_postgeneration_save = True  # the hook writes the search document itself

    shop = factory.SubFactory(ShopFactory)
    category = factory.SubFactory(CategoryFactory)
    title = factory.Sequence(lambda n: f"Product {n}")
    description = "Made with care."
    price = Decimal("100.00")
    stock = 10
    status = ProductStatus.ACTIVE

    @factory.post_generation
    def search_document(obj, create, extracted, **kwargs):
        """What the product services do after every write: build the search document."""
        if create:
            from marketplace.services.search import product_search_refresh

            product_search_refresh(product_ids=[obj.id])


class ProductImageFactory(factory.django.DjangoModelFactory):
    """A product image without display sizes (as right after upload)."""

    class Meta:
        model = ProductImage

    product = factory.SubFactory(ProductFactory)
    image = factory.django.ImageField(filename="photo.png", width=64, height=48, color="red", format="PNG")
    width = 64
    height = 48
    position = factory.Sequence(lambda n: n)


# --- sales -------------------------------------------------------------------------------------


class SaleEventFactory(factory.django.DjangoModelFactory):
    """A sale opening tomorrow for a day (pass ``starts_at``/``ends_at`` to time-travel)."""

    class Meta:
        model = SaleEvent

    name = factory.Sequence(lambda n: f"Sale {n}")
    slug = factory.Sequence(lambda n: f"sale-{n}")
    starts_at = factory.LazyFunction(lambda: timezone.now().replace(microsecond=0) + timedelta(days=1))
    ends_at = factory.LazyAttribute(lambda sale: sale.starts_at + timedelta(days=1))


class DealFactory(factory.django.DjangoModelFactory):
    """An APPROVED 20%-off deal (pass ``deal_price=..., percent_off=None`` for a fixed price)."""

    class Meta:
        model = Deal

    sale = factory.SubFactory(SaleEventFactory)
    product = factory.SubFactory(ProductFactory)
    percent_off = 20
    status = DealStatus.APPROVED


class VoucherFactory(factory.django.DjangoModelFactory):
    """Spend 100, save 10; 10 vouchers; valid from an hour ago for two days."""

    class Meta:
        model = Voucher

    shop = factory.SubFactory(ShopFactory)
    min_spend = Decimal("100.00")
    discount = Decimal("10.00")
    total = 10
    valid_from = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))
    valid_until = factory.LazyAttribute(lambda voucher: voucher.valid_from + timedelta(days=2))


class VoucherClaimFactory(factory.django.DjangoModelFactory):
    """A claim (it does not touch ``Voucher.claimed_count``; the service does)."""

    class Meta:
        model = VoucherClaim

    voucher = factory.SubFactory(VoucherFactory)
    user = factory.SubFactory(UserFactory)


# --- orders: carts, orders, reviews (helper 2) ------------------------------------------------


class CartFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cart
        django_get_or_create = ("user",)

    user = factory.SubFactory(UserFactory)


class CartItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CartItem

    cart = factory.SubFactory(CartFactory)
    product = factory.SubFactory(ProductFactory)
    quantity = 1


class OrderFactory(factory.django.DjangoModelFactory):
    """An order in any status; its money is not derived from lines (set what a test needs)."""

    class Meta:
        model = Order

    buyer = factory.SubFactory(UserFactory)
    shop = factory.SubFactory(ShopFactory)
    status = OrderStatus.PENDING_PAYMENT
    subtotal = Decimal("100.00")
    discount = Decimal("0.00")
    total = factory.LazyAttribute(lambda o: o.subtotal - o.discount)
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(minutes=30))


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    product = factory.SubFactory(ProductFactory, shop=factory.SelfAttribute("..order.shop"))
    title = factory.LazyAttribute(lambda line: line.product.title)
    unit_price = factory.LazyAttribute(lambda line: line.product.price)
    list_price = factory.LazyAttribute(lambda line: line.product.price)
    quantity = 1


class ReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Review

    order_line = factory.SubFactory(OrderLineFactory, order__status=OrderStatus.DELIVERED)
    product = factory.SelfAttribute("order_line.product")
    shop = factory.SelfAttribute("order_line.order.shop")
    author = factory.SelfAttribute("order_line.order.buyer")
    rating = 5
    text = factory.Faker("sentence")


def make_product(**kwargs) -> Product:
    """An active product with stock 10 at 200.00 unless told otherwise."""
    kwargs.setdefault("price", Decimal("200.00"))
    kwargs.setdefault("stock", 10)
    kwargs.setdefault("status", ProductStatus.ACTIVE)
    return ProductFactory(**kwargs)


def make_live_deal(product: Product, **kwargs) -> Deal:
    """An approved deal (25% off unless told otherwise) in a sale live for the next hour."""
    now = timezone.now()
    sale = SaleEventFactory(starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1))
    kwargs.setdefault("percent_off", 25 if kwargs.get("deal_price") is None else None)
    kwargs.setdefault("deal_price", None)
    return DealFactory(sale=sale, product=product, status=DealStatus.APPROVED, **kwargs)


def make_voucher_claim(user, shop, *, min_spend="100.00", discount="20.00", **kwargs) -> VoucherClaim:
    """``user``'s claim of a "spend min_spend, save discount" voucher of ``shop``, valid now."""
    now = timezone.now()
    voucher = VoucherFactory(
        shop=shop,
        min_spend=Decimal(min_spend),
        discount=Decimal(discount),
        total=100,
        valid_from=kwargs.pop("valid_from", now - timedelta(days=1)),
        valid_until=kwargs.pop("valid_until", now + timedelta(days=1)),
    )
    return VoucherClaimFactory(voucher=voucher, user=user, **kwargs)


class AddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Address

    user = factory.SubFactory(UserFactory)
    recipient = "王小明"
    mobile = "13800138000"
    province = "上海市"
    city = "上海市"
    district = "黄浦区"
    street = factory.Sequence(lambda n: f"南京东路 {n + 1} 号")
    postcode = "200001"


def make_address(user, **kwargs) -> Address:
    """An address in ``user``'s book; the default unless told otherwise."""
    kwargs.setdefault("is_default", True)
    return AddressFactory(user=user, **kwargs)


def fill_cart(user, *pairs) -> None:
    """Put ``(product, quantity)`` pairs in ``user``'s cart, and give ``user`` a default delivery
    address if they have none (checkout needs one; tests of that rule fill the cart with
    ``CartItemFactory``)."""
    if not Address.objects.filter(user=user).exists():
        make_address(user)
    for product, quantity in pairs:
        CartItemFactory(cart__user=user, product=product, quantity=quantity)
