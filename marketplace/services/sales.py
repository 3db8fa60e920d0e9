"""Sale writes: the sale clock, deal enrolment and moderation, shop vouchers, leaderboards.

The clock (:func:`sale_clock_tick`, run by Celery every few seconds) does the side effects of a
sale's life: the "opening soon" reminder, opening, closing, cache warm-up. Each transition is a
conditional UPDATE on a ``*_at IS NULL`` column, so two beats or a retried task do each side
effect once. Prices never wait for it: they are derived at read time (selectors.pricing).
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core import moderation
from core.cache import bump_on_commit
from core.errors import ApplicationError
from core.signals import send_on_commit
from core.throttles import action_limit
from core.visibility import Visibility
from marketplace.caching import TAG_ALL, shop_vouchers_tag
from marketplace.errors import SaleErrorCode
from marketplace.models import (
    Deal,
    DealStatus,
    Product,
    ProductStatus,
    SaleEvent,
    SaleRanking,
    SaleStatus,
    Shop,
    Voucher,
    VoucherClaim,
)
from marketplace.selectors import sales as sale_selectors
from marketplace.selectors.orders import order_line_list_purchased
from marketplace.signals import sale_closed, sale_opened, sale_opening_soon

#: Followers hear about a sale this long before it opens.
REMINDER_LEAD = timedelta(hours=1)
#: The clock fills the sale page's cache for the live phase this long before the sale opens, so
#: the crowd arriving at the opening second is served from the cache.
WARM_UP_LEAD = timedelta(minutes=2)
#: Orders placed during a sale may be paid up to the payment timeout after it closes; leaderboards
#: keep being recomputed for this long after the end.
RANKING_GRACE = timedelta(hours=2)
RANKING_SIZE = 10


# --- Sale events ----------------------------------------------------------------------------------


@transaction.atomic
def sale_create(
    *, name: str, slug: str, starts_at: datetime, ends_at: datetime, description: str = "", banner=None
) -> SaleEvent:
    """Schedule a sale (moderators do this in admin; demo data and tests call it)."""
    sale = SaleEvent(name=name, slug=slug, starts_at=starts_at, ends_at=ends_at, description=description)
    if banner:
        sale.banner = banner
    return sale_save(sale=sale)


@transaction.atomic
def sale_save(*, sale: SaleEvent) -> SaleEvent:
    """Save a sale edited by a moderator (admin). Its times decide prices, so every cached price
    and page is dropped after commit. The clock's ``*_at`` marks are not touched here."""
    sale.full_clean()
    sale.save()
    bump_on_commit(TAG_ALL)
    return sale


def voucher_save(*, voucher: Voucher) -> Voucher:
    """Save a voucher added or edited by a moderator (admin). The voucher boxes and carts that
    show the shop's vouchers are dropped after commit — both shops' if it moved."""
    before = Voucher.objects.filter(pk=voucher.pk).values_list("shop_id", flat=True).first() if voucher.pk else None
    voucher.full_clean()
    voucher.save()
    bump_on_commit(*{shop_vouchers_tag(shop_id) for shop_id in (voucher.shop_id, before) if shop_id is not None})
    return voucher


def vouchers_delete(*, voucher_ids: list[int]) -> int:
    """Delete vouchers (admin; their claims go with them) and drop what showed them after commit.
    Returns how many were deleted."""
    with transaction.atomic():
        shop_ids = set(Voucher.objects.filter(pk__in=voucher_ids).values_list("shop_id", flat=True))
        deleted = Voucher.objects.filter(pk__in=voucher_ids).delete()[1].get(Voucher._meta.label, 0)
        bump_on_commit(*(shop_vouchers_tag(shop_id) for shop_id in shop_ids))
    return deleted


# --- The clock ------------------------------------------------------------------------------------


@dataclass
class ClockResult:
    """Ids of the sales each step of one tick acted on (for logs and tests)."""

    reminded: list[int] = field(default_factory=list)
    opened: list[int] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)
    warmed: list[int] = field(default_factory=list)


def sale_clock_tick(*, now: datetime | None = None) -> ClockResult:
    """One beat of the sale clock: remind, open, close, warm up. Idempotent; safe to run
    concurrently with itself and to run late (a sale whose whole window was missed is closed
    without being "opened")."""
    now = now or timezone.now()
    return ClockResult(
        reminded=sale_remind_due(now=now),
        opened=sale_open_due(now=now),
        closed=sale_close_due(now=now),
        warmed=sale_warm_up_due(now=now),
    )


def sale_remind_due(*, now: datetime) -> list[int]:
    """Send ``sale_opening_soon`` once for each sale opening within :data:`REMINDER_LEAD`."""
    due = SaleEvent.objects.filter(
        reminder_sent_at__isnull=True, opened_at__isnull=True, starts_at__gt=now, starts_at__lte=now + REMINDER_LEAD
    ).values_list("id", flat=True)
    reminded = []
    for sale_id in due:
        with transaction.atomic():
            if SaleEvent.objects.filter(id=sale_id, reminder_sent_at__isnull=True).update(reminder_sent_at=now):
                send_on_commit(sale_opening_soon, sender=SaleEvent, sale_id=sale_id)
                reminded.append(sale_id)
    return reminded


def sale_open_due(*, now: datetime) -> list[int]:
    """Mark live, once, each sale whose window contains ``now``; send ``sale_opened`` for it."""
    due = SaleEvent.objects.filter(opened_at__isnull=True, starts_at__lte=now, ends_at__gt=now).values_list(
        "id", flat=True
    )
    opened = []
    for sale_id in due:
        with transaction.atomic():
            won = SaleEvent.objects.filter(
                id=sale_id, opened_at__isnull=True, starts_at__lte=now, ends_at__gt=now
            ).update(status=SaleStatus.LIVE, opened_at=now)
            if won:
                transaction.on_commit(partial(sale_cache_warm, sale_id=sale_id, now=now))
                send_on_commit(sale_opened, sender=SaleEvent, sale_id=sale_id)
                opened.append(sale_id)
    return opened


def sale_close_due(*, now: datetime) -> list[int]:
    """Mark ended, once, each sale whose window is over; send ``sale_closed`` for it."""
    due = SaleEvent.objects.filter(closed_at__isnull=True, ends_at__lte=now).values_list("id", flat=True)
    closed = []
    for sale_id in due:
        with transaction.atomic():
            won = SaleEvent.objects.filter(id=sale_id, closed_at__isnull=True, ends_at__lte=now).update(
                status=SaleStatus.ENDED, closed_at=now
            )
            if won:
                send_on_commit(sale_closed, sender=SaleEvent, sale_id=sale_id)
                closed.append(sale_id)
    return closed


def sale_warm_up_due(*, now: datetime) -> list[int]:
    """Fill the live-phase cache of each sale opening within :data:`WARM_UP_LEAD` (each tick
    refreshes it, so the last warm-up before the opening second is at most one tick old)."""
    due = list(
        SaleEvent.objects.filter(
            opened_at__isnull=True, starts_at__gt=now, starts_at__lte=now + WARM_UP_LEAD
        ).values_list("id", flat=True)
    )
    for sale_id in due:
        sale_cache_warm(sale_id=sale_id, now=now)
    return due


def sale_cache_warm(*, sale_id: int, now: datetime | None = None) -> None:
    """Make sure the first page of the sale's deal cards (default sort, no filters) is cached as
    it is once the sale is live: at ``now`` if it is open, else as of the opening second."""
    now = now or timezone.now()
    sale = SaleEvent.objects.filter(id=sale_id).first()
    if sale is not None and now < sale.ends_at:
        sale_selectors.sale_deal_cards(sale=sale, now=max(now, sale.starts_at))


# --- Deals ----------------------------------------------------------------------------------------


@transaction.atomic
def deal_enrol(
    *,
    user,
    sale: SaleEvent,
    product_id: int,
    deal_price: Decimal | None = None,
    percent_off: int | None = None,
    flash_quantity: int | None = None,
    per_buyer_limit: int | None = None,
    now: datetime | None = None,
) -> Deal:
    """Enrol one of the user's own products in ``sale`` (or change a pending/rejected
    enrolment, which goes back to pending). Exactly one of ``deal_price`` and ``percent_off``.
    Enrolment closes when the sale starts; an approved deal can no longer be changed. A banned
    seller cannot enrol (403 ``banned``)."""
    moderation.posting_allowed(user)
    now = now or timezone.now()
    product = Product.objects.filter(id=product_id, shop__owner=user).select_related("shop").first()
    if product is None:
        raise ApplicationError(
            _("You can only enrol your own shop's products."), status=403, code=SaleErrorCode.NOT_YOUR_PRODUCT
        )
    if product.status != ProductStatus.ACTIVE or product.visibility != Visibility.VISIBLE:
        raise ApplicationError(
            _("Only products on sale in your shop can join a sale."), code=SaleErrorCode.PRODUCT_NOT_ACTIVE
        )
    if now >= sale.starts_at:
        raise ApplicationError(
            _("Enrolment for this sale has closed."), status=409, code=SaleErrorCode.ENROLMENT_CLOSED
        )
    if (deal_price is None) == (percent_off is None):
        raise ApplicationError(_("Give either a deal price or a percentage off."), code=SaleErrorCode.PRICE_OR_PERCENT)
    if deal_price is not None and not (Decimal("0") < deal_price < product.price):
        raise ApplicationError(
            _("The deal price must be above 0 and below the product's price (%(price)s).") % {"price": product.price},
            code=SaleErrorCode.BAD_DEAL_PRICE,
        )
    if percent_off is not None and not 1 <= percent_off <= 99:
        raise ApplicationError(_("The percentage off must be between 1 and 99."), code=SaleErrorCode.BAD_PERCENT_OFF)
    if flash_quantity is not None and not 1 <= flash_quantity <= product.stock:
        raise ApplicationError(
            _("The flash quantity must be between 1 and the product's stock (%(stock)s).") % {"stock": product.stock},
            code=SaleErrorCode.BAD_FLASH_QUANTITY,
        )
    if per_buyer_limit is not None and per_buyer_limit < 1:
        raise ApplicationError(_("The per-buyer limit must be at least 1."), code=SaleErrorCode.BAD_PER_BUYER_LIMIT)

    terms = {
        "deal_price": deal_price,
        "percent_off": percent_off,
        "flash_quantity": flash_quantity,
        "per_buyer_limit": per_buyer_limit,
        "status": DealStatus.PENDING,
    }
    deal, created = Deal.objects.select_for_update().get_or_create(sale=sale, product=product, defaults=terms)
    if not created:
        if deal.status == DealStatus.APPROVED:
            raise ApplicationError(
                _("This product's deal is already approved."), status=409, code=SaleErrorCode.DEAL_APPROVED
            )
        for name, value in terms.items():
            setattr(deal, name, value)
        deal.save(update_fields=list(terms))
    return deal


@transaction.atomic
def deal_moderate(*, deal_ids: list[int], approve: bool) -> list[int]:
    """Approve or reject deals (moderators, in bulk). Returns the ids whose status changed.
    Cached prices and pages are dropped after commit (a deal of a live sale changes prices)."""
    target = DealStatus.APPROVED if approve else DealStatus.REJECTED
    changed = list(
        Deal.objects.filter(id__in=deal_ids).exclude(status=target).select_for_update().values_list("id", "sale_id")
    )
    Deal.objects.filter(id__in=[deal_id for deal_id, _ in changed]).update(status=target)
    if changed:
        bump_on_commit(TAG_ALL)
    return [deal_id for deal_id, _ in changed]


# --- Vouchers -------------------------------------------------------------------------------------


@transaction.atomic
def voucher_create(
    *,
    user,
    shop: Shop,
    min_spend: Decimal,
    discount: Decimal,
    total: int,
    valid_from: datetime,
    valid_until: datetime,
    title: str = "",
) -> Voucher:
    """A "spend ``min_spend``, save ``discount``" voucher for the user's own shop, ``total``
    claims at most."""
    if shop.owner_id != user.id:
        raise ApplicationError(
            _("Only the shop's owner can offer its vouchers."), status=403, code=SaleErrorCode.NOT_YOUR_SHOP
        )
    moderation.posting_allowed(user)  # a banned seller sells nothing
    if total < 1:
        raise ApplicationError(_("Offer at least one voucher."), code=SaleErrorCode.BAD_TOTAL)
    if not Decimal("0") < discount < min_spend:
        raise ApplicationError(
            _("The saving must be above 0 and below the minimum spend."), code=SaleErrorCode.BAD_DISCOUNT
        )
    if valid_until <= valid_from:
        raise ApplicationError(_("The voucher must end after it starts."), code=SaleErrorCode.BAD_VALIDITY)
    voucher = Voucher(
        shop=shop,
        title=title,
        min_spend=min_spend,
        discount=discount,
        total=total,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    voucher.full_clean()
    voucher.save()
    bump_on_commit(shop_vouchers_tag(shop.pk))
    return voucher


@transaction.atomic
def voucher_end(*, user, voucher_id: int, now: datetime | None = None) -> Voucher:
    """End one of the user's shop's vouchers now: nobody can claim it any more, and claims not yet
    used can no longer be used (orders already placed keep their saving). An upcoming voucher
    ends before it starts. Ending an ended voucher changes nothing."""
    now = now or timezone.now()
    voucher = Voucher.objects.select_for_update().select_related("shop").filter(id=voucher_id).first()
    if voucher is None:
        raise ApplicationError(_("No such voucher."), status=404, code=SaleErrorCode.NOT_FOUND)
    if voucher.shop.owner_id != user.id:
        raise ApplicationError(
            _("Only the shop's owner can offer its vouchers."), status=403, code=SaleErrorCode.NOT_YOUR_SHOP
        )
    if voucher.valid_until > now:
        voucher.valid_from = min(voucher.valid_from, now - timedelta(seconds=1))
        voucher.valid_until = now
        voucher.save(update_fields=["valid_from", "valid_until"])
        bump_on_commit(shop_vouchers_tag(voucher.shop_id))
    return voucher


def voucher_claim(*, user, voucher_id: int, now: datetime | None = None) -> VoucherClaim:
    """Claim one voucher for ``user``. Never more than ``total`` claims, one per user, under any
    concurrency: the count is taken with a conditional UPDATE (``claimed_count < total``) and the
    claim row is unique per (voucher, user); if the insert loses a race the count is rolled back
    with it."""
    action_limit("voucher_claim", user_id=user.pk)
    now = now or timezone.now()
    voucher = Voucher.objects.filter(id=voucher_id).select_related("shop").first()
    if voucher is None:
        raise ApplicationError(_("No such voucher."), status=404, code=SaleErrorCode.NOT_FOUND)
    if voucher.shop.owner_id == user.id:
        raise ApplicationError(
            _("You can't claim your own shop's voucher."), status=403, code=SaleErrorCode.OWN_VOUCHER
        )
    if voucher.valid_until <= now:
        raise ApplicationError(_("This voucher has expired."), status=409, code=SaleErrorCode.VOUCHER_EXPIRED)
    if VoucherClaim.objects.filter(voucher_id=voucher_id, user=user).exists():
        raise ApplicationError(
            _("You have already claimed this voucher."), status=409, code=SaleErrorCode.ALREADY_CLAIMED
        )
    try:
        with transaction.atomic():
            taken = Voucher.objects.filter(id=voucher_id, claimed_count__lt=F("total")).update(
                claimed_count=F("claimed_count") + 1
            )
            if not taken:
                raise ApplicationError(
                    _("All of these vouchers have been claimed."), status=409, code=SaleErrorCode.VOUCHERS_GONE
                )
            claim = VoucherClaim.objects.create(voucher_id=voucher_id, user=user)
            bump_on_commit(shop_vouchers_tag(voucher.shop_id))  # "n left" on the voucher boxes
            return claim
    except IntegrityError as exc:
        raise ApplicationError(
            _("You have already claimed this voucher."), status=409, code=SaleErrorCode.ALREADY_CLAIMED
        ) from exc


# --- Leaderboards ---------------------------------------------------------------------------------


def sale_rankings_recompute(*, sale_id: int, now: datetime | None = None, size: int = RANKING_SIZE) -> int:
    """Replace the sale's leaderboards: top shops and products by units sold in paid (or later)
    orders through the sale's deals. One transaction holding the sale row, so concurrent runs
    queue up and readers see the old board or the new one. Returns the rows written."""
    now = now or timezone.now()
    with transaction.atomic():
        if not SaleEvent.objects.select_for_update().filter(id=sale_id).exists():
            return 0
        sold = order_line_list_purchased().filter(deal__sale_id=sale_id)
        rows = []
        for kind, column, field_name in (
            (SaleRanking.Kind.SHOP, "order__shop_id", "shop_id"),
            (SaleRanking.Kind.PRODUCT, "product_id", "product_id"),
        ):
            top = sold.values(column).annotate(units=Sum("quantity")).order_by("-units", column)[:size]
            rows += [
                SaleRanking(
                    sale_id=sale_id,
                    kind=kind,
                    rank=rank,
                    units_sold=row["units"],
                    computed_at=now,
                    **{field_name: row[column]},
                )
                for rank, row in enumerate(top, start=1)
            ]
        SaleRanking.objects.filter(sale_id=sale_id).delete()
        SaleRanking.objects.bulk_create(rows)
    return len(rows)


def sale_rankings_recompute_active(*, now: datetime | None = None) -> list[int]:
    """Recompute the leaderboards of every sale that is live or ended within
    :data:`RANKING_GRACE` (late payments still count). Returns the sale ids."""
    now = now or timezone.now()
    sale_ids = list(
        SaleEvent.objects.filter(starts_at__lte=now, ends_at__gt=now - RANKING_GRACE).values_list("id", flat=True)
    )
    for sale_id in sale_ids:
        sale_rankings_recompute(sale_id=sale_id, now=now)
    return sale_ids
