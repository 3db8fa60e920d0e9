"""Room-only flash deals: a ``Deal`` of kind ``live`` that prices only for buyers who claimed it.

A live room (livestream, which may call the marketplace but not the other way round) creates
one when its host pins a product with a deal: approved on creation, with its own window (1–20
minutes, ending by the clock: prices are derived at read time, so nothing has to run at the
end), a flash quantity and a per-buyer limit. Viewers press "grab" in the room, which makes a
:class:`~marketplace.models.DealClaim`; from then on pricing (``product_annotate_prices(...,
buyer=...)``), the cart and checkout give them the deal, and checkout takes the flash units and
the per-buyer units with the same conditional UPDATEs as a sale-day flash deal
(``services/orders.py``). Everyone else keeps seeing the normal price. Creating one bumps only
that product's cache tag (a sale deal flushes the whole catalogue: it changes public prices).
"""

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.cache import bump_on_commit
from core.errors import ApplicationError
from marketplace.caching import TAG_LIVE_DEALS, cart_tag, product_tag
from marketplace.errors import LiveDealErrorCode
from marketplace.models import Deal, DealClaim, DealKind, DealStatus, Product

LIVE_DEAL_MINUTES = (1, 20)
LIVE_DEAL_MAX_PER_BUYER = 20


def _money(value) -> Decimal:
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError) as exc:
        raise ApplicationError(_("Enter a deal price."), code=LiveDealErrorCode.INVALID_DEAL) from exc


@transaction.atomic
def live_deal_create(
    *,
    product: Product,
    audience: str,
    price,
    quantity: int | None,
    minutes: int,
    per_buyer_limit: int | None = None,
    now: datetime | None = None,
) -> Deal:
    """Create an approved room-only deal on ``product`` for ``minutes`` from ``now``.
    ``audience`` is the caller's name for who may claim it (e.g. ``"room:12"``)."""
    now = now or timezone.now()
    price = _money(price)
    if not Decimal("0") < price < product.price:
        raise ApplicationError(
            _("The deal price must be above zero and below the normal price (%(price)s).") % {"price": product.price},
            code=LiveDealErrorCode.INVALID_DEAL,
        )
    if not LIVE_DEAL_MINUTES[0] <= int(minutes) <= LIVE_DEAL_MINUTES[1]:
        raise ApplicationError(_("A live deal lasts 1 to 20 minutes."), code=LiveDealErrorCode.INVALID_DEAL)
    if quantity is not None and not 1 <= int(quantity) <= product.stock:
        raise ApplicationError(
            _("The deal quantity must be between 1 and the stock (%(stock)d).") % {"stock": product.stock},
            code=LiveDealErrorCode.INVALID_DEAL,
        )
    if per_buyer_limit is not None and not 1 <= int(per_buyer_limit) <= LIVE_DEAL_MAX_PER_BUYER:
        raise ApplicationError(_("The per-buyer limit must be between 1 and 20."), code=LiveDealErrorCode.INVALID_DEAL)
    # A product has one running live deal at a time: a new one ends the previous.
    Deal.objects.filter(product=product, kind=DealKind.LIVE, ends_at__gt=now).update(ends_at=now)
    deal = Deal.objects.create(
        kind=DealKind.LIVE,
        product=product,
        audience=audience[:40],
        deal_price=price,
        flash_quantity=quantity,
        per_buyer_limit=per_buyer_limit,
        starts_at=now,
        ends_at=now + timedelta(minutes=int(minutes)),
        status=DealStatus.APPROVED,
    )
    bump_on_commit(product_tag(product.pk), TAG_LIVE_DEALS)
    return deal


def live_deal_end(*, deal: Deal, now: datetime | None = None) -> bool:
    """End a live deal now (unpinned, room ended). True if it was running."""
    now = now or timezone.now()
    ended = Deal.objects.filter(pk=deal.pk, kind=DealKind.LIVE, ends_at__gt=now).update(ends_at=now)
    if ended:
        bump_on_commit(product_tag(deal.product_id), TAG_LIVE_DEALS)
    return bool(ended)


def live_deal_claim(*, deal: Deal, buyer, now: datetime | None = None) -> DealClaim:
    """Admit ``buyer`` to the deal's audience (idempotent). The caller has checked that the
    buyer is in the audience (in the room). Refused once the deal has ended or sold out."""
    now = now or timezone.now()
    deal.refresh_from_db(fields=["flash_quantity", "flash_sold", "ends_at", "starts_at"])
    if deal.kind != DealKind.LIVE or not (deal.starts_at <= now < deal.ends_at):
        raise ApplicationError(_("This deal has ended."), status=409, code=LiveDealErrorCode.DEAL_ENDED)
    if deal.flash_quantity is not None and deal.flash_sold >= deal.flash_quantity:
        raise ApplicationError(_("This deal is sold out."), status=409, code=LiveDealErrorCode.SOLD_OUT)
    if deal.product.shop.owner_id == buyer.pk:
        raise ApplicationError(_("You cannot buy from your own shop."), status=403, code=LiveDealErrorCode.OWN_SHOP)
    claim, created = DealClaim.objects.get_or_create(deal=deal, buyer=buyer)
    if created:
        bump_on_commit(cart_tag(buyer.pk))  # the room price now applies in their cart
    return claim
