"""Admission to a hot flash deal: "sold out" at cache speed, decided before checkout's transaction.

On sale day almost every checkout of a hot deal is one that cannot be served. Without a gate
each of them costs as much as an order (idempotency record, pricing, a queue on the deal's hot
row) before PostgreSQL's conditional UPDATE refuses it. The gate answers those buyers from Redis:

* **One counter per deal** (``flash:gate:<deal>``) holds the units *admitted*: sold (committed
  ``flash_sold``) plus those of checkouts in flight. **One counter per buyer and deal** holds the
  buyer's admitted units against ``per_buyer_limit``. One Lua script checks every gated deal of
  the cart and, only if all have room, counts the units: atomic, so concurrent buyers can never
  be admitted past the cap.
* **PostgreSQL stays the truth.** An admitted checkout runs as before; the conditional UPDATEs
  (``services/checkout.py``) still decide. The gate may only err towards admitting too many
  (PostgreSQL then refuses the extra ones), never towards refusing a unit that is there, except
  for the short window below.
* **Units come back.** A checkout that places nothing gives its admission back at once. A
  cancelled or expired order gives its flash units back to the counters in the transaction that
  closes it (``services/orders.py``), so the next buyer is admitted.
* **Losing Redis state never oversells and never blocks forever.** A missing counter (flushed,
  evicted, expired) is rebuilt from PostgreSQL (``Deal.flash_sold``, ``DealPurchase.quantity``)
  by ``SET NX``. Counters also expire :data:`RESYNC_SECONDS` after they were built, so an
  admission lost to a crashed worker (counted, never given back: the one way the gate could
  refuse a unit that is there) heals within that time. When PostgreSQL refuses a checkout the
  gate admitted (the counter ran low, e.g. rebuilt while checkouts were in flight), the counter
  is dropped and rebuilt on the next request.
* **Without Redis** (local memory cache, or Redis unreachable: ``core.cache.CacheScript`` fails
  open) every checkout is admitted and runs exactly as without a gate.

A deal is gated when it is the only deal that can price the product now: an approved sale deal
with a flash cap, of a sale that is live, and no room-only (``live``) deal on the product whose
window has not ended (those price per buyer, so the gate stays out of their way). Which deals
those are is read with one small query per checkout (not cached: every order bumps its
products' cache tags, and a stale answer here would refuse the wrong buyers). A refusal by the
gate is not recorded under the request's ``Idempotency-Key``: nothing was attempted, so a retry
is decided afresh. The API answers a token checkout the gate refuses before DRF, from Redis
alone once built: ``services/admission_early.py``.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.conf import settings
from django.db.models import OuterRef, Q, QuerySet, Subquery, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from core.cache import CacheScript
from core.errors import ApplicationError
from core.queries import CompiledQuery
from marketplace.errors import CheckoutErrorCode
from marketplace.models import Deal, DealKind, DealPurchase, DealStatus
from marketplace.selectors.orders import QuantityLimit, units_left_message

#: Seconds a gate counter lives after it was built from PostgreSQL (then it is built again).
RESYNC_SECONDS = settings.FLASH_ADMISSION_RESYNC_SECONDS

#: KEYS: per gated deal, its counter and the buyer's counter, then the counters of the API's
#: throttles to count this request on. ARGV: the TTL, whether to count ('1') or only check ('0'),
#: the number of gated deals, then per deal: units wanted, the cap, the per-buyer limit (-1:
#: none), and the two seeds from PostgreSQL (what a missing counter starts from; '' when not
#: read), then per throttle counter: its life in seconds and the requests it allows. Answers
#: {gate, counts}: the throttles' new counts (``INCR`` + ``EXPIRE``, as ``counter_incr``), and
#: the gate's {1} (admitted, and counted if asked), {-1, i} / {-2, i} (deal / buyer counter i is
#: missing and no seed was given), {0, i, left} (not enough units of deal i), {2, i, bought} (the
#: buyer's limit for deal i), or {3} (a throttle refuses the request: the gate was not asked).
_ADMIT = CacheScript("""
local ttl = tonumber(ARGV[1])
local n = tonumber(ARGV[3])
local counts = {}
local throttled = false
for j = 2 * n + 1, #KEYS do
  local at = 4 + 5 * n + 2 * (j - 2 * n - 1)
  local count = redis.call('INCR', KEYS[j])
  redis.call('EXPIRE', KEYS[j], ARGV[at])
  if count > tonumber(ARGV[at + 1]) then throttled = true end
  counts[#counts + 1] = count
end
if throttled then return {{3}, counts} end
local function gate()
  for i = 1, n do
    local base = 3 + (i - 1) * 5
    local want, cap, limit = tonumber(ARGV[base + 1]), tonumber(ARGV[base + 2]), tonumber(ARGV[base + 3])
    local taken = redis.call('GET', KEYS[2 * i - 1])
    if not taken then
      if ARGV[base + 4] == '' then return {-1, i} end
      redis.call('SET', KEYS[2 * i - 1], ARGV[base + 4], 'EX', ttl, 'NX')
      taken = redis.call('GET', KEYS[2 * i - 1])
    end
    taken = tonumber(taken)
    if taken + want > cap then return {0, i, cap - taken} end
    if limit >= 0 then
      local mine = redis.call('GET', KEYS[2 * i])
      if not mine then
        if ARGV[base + 5] == '' then return {-2, i} end
        redis.call('SET', KEYS[2 * i], ARGV[base + 5], 'EX', ttl, 'NX')
        mine = redis.call('GET', KEYS[2 * i])
      end
      mine = tonumber(mine)
      if mine + want > limit then return {2, i, mine} end
    end
  end
  if ARGV[2] ~= '1' then return {1} end
  for i = 1, n do
    local want = tonumber(ARGV[4 + (i - 1) * 5])
    redis.call('INCRBY', KEYS[2 * i - 1], want)
    if tonumber(ARGV[6 + (i - 1) * 5]) >= 0 then redis.call('INCRBY', KEYS[2 * i], want) end
  end
  return {1}
end
return {gate(), counts}
""")

#: Give units back: KEYS counters, ARGV amounts (-1: drop the counter, it is rebuilt from
#: PostgreSQL). A counter that is missing stays missing (its rebuild already sees the truth).
_RELEASE = CacheScript("""
for i, key in ipairs(KEYS) do
  local amount = tonumber(ARGV[i])
  if amount < 0 then
    redis.call('DEL', key)
  elseif redis.call('EXISTS', key) == 1 then
    if redis.call('DECRBY', key, amount) < 0 then redis.call('SET', key, 0, 'KEEPTTL') end
  end
end
return 1
""")


def _deal_key(deal_id: int) -> str:
    return f"flash:gate:{deal_id}"


def _buyer_key(deal_id: int, buyer_id: int) -> str:
    return f"flash:gate:{deal_id}:b:{buyer_id}"


# --- the refusals (shared with checkout, so the gate and PostgreSQL say the same thing) ----------


def not_enough_error(*, product_id: int, limit: QuantityLimit) -> ApplicationError:
    """409 ``sold_out`` / ``quantity_unavailable`` naming the product and how many are left."""
    code = CheckoutErrorCode.SOLD_OUT if limit.allowed <= 0 else CheckoutErrorCode.QUANTITY_UNAVAILABLE
    extra = {"product": product_id, "available": max(limit.allowed, 0)}
    return ApplicationError(limit.reason, status=409, code=code, extra=extra)


def limit_reached_error(*, product_id: int, title: str, limit: int | None, bought: int) -> ApplicationError:
    """409 ``limit_reached``: the buyer already has ``bought`` of the deal's per-buyer ``limit``."""
    values = {"limit": limit, "title": title, "bought": bought}
    message = (
        _("You can buy at most %(limit)s of “%(title)s” in this sale (you already have %(bought)s).")
        if bought
        else _("You can buy at most %(limit)s of “%(title)s” in this sale.")
    ) % values
    return ApplicationError(
        message, status=409, code=CheckoutErrorCode.LIMIT_REACHED, extra={"product": product_id, "limit": limit}
    )


# --- which deal is gated ---------------------------------------------------------------------------


@dataclass(frozen=True)
class GatedDeal:
    deal_id: int
    product_id: int
    title: str
    cap: int
    per_buyer_limit: int | None
    #: PostgreSQL's counts when read: the seeds of a missing counter.
    sold: int = field(default=0, compare=False)
    mine: int = field(default=0, compare=False)


#: The columns of a candidate deal row, as :func:`_gated` reads them.
_DEAL_COLUMNS = (
    "id",
    "product_id",
    "kind",
    "flash_quantity",
    "per_buyer_limit",
    "product__title",
    "flash_sold",
    "mine",
)


def _candidate_deals(*, product_ids, mine, now: datetime) -> QuerySet:
    """The approved deals that can price ``product_ids`` now (a sale deal of a live sale, or a
    room deal whose window has not ended), with ``mine`` (the buyer's units) annotated: the one
    rule of which deals the gate looks at, for :func:`gated_deals_for_products` and the early
    refusal alike."""
    return (
        Deal.objects.filter(
            Q(kind=DealKind.SALE, sale__starts_at__lte=now, sale__ends_at__gt=now)
            | Q(kind=DealKind.LIVE, ends_at__gt=now),
            product_id__in=product_ids,
            status=DealStatus.APPROVED,
        )
        .order_by()
        .annotate(mine=mine)
    )


def _gated(rows: Iterable[tuple]) -> dict[int, GatedDeal]:
    """The gated deal of each product among candidate rows (``_DEAL_COLUMNS`` first): a product
    is gated when its only candidate is a sale deal with a flash cap."""
    by_product: dict[int, list] = {}
    for row in rows:
        by_product.setdefault(row[1], []).append(row)
    gated = {}
    for product_id, deal_rows in by_product.items():
        if len(deal_rows) == 1 and deal_rows[0][2] == DealKind.SALE and deal_rows[0][3] is not None:
            deal_id, _product_id, _kind, cap, limit, title, sold, bought = deal_rows[0][:8]
            gated[product_id] = GatedDeal(deal_id, product_id, title, cap, limit, sold, bought or 0)
    return gated


def gated_deals_for_products(
    *, product_ids: Iterable[int], buyer_id: int | None = None, now: datetime | None = None
) -> dict[int, GatedDeal]:
    """The flash deals the gate guards now, by product, among ``product_ids`` (see the module
    docstring), with what PostgreSQL has counted (``sold``, and the buyer's own units ``mine``)
    to rebuild a missing counter from: one query for the whole cart, read fresh on every
    checkout, so a deal, sale or room-deal change is seen at once (nothing to invalidate)."""
    product_ids, now = sorted(set(product_ids)), now or timezone.now()
    size = len(product_ids)
    if buyer_id is None or not 0 < size <= COMPILED_CART_MAX:
        return _gated(_cart_deals(product_ids=product_ids, buyer_id=buyer_id, now=now))
    if size not in _CART_DEALS:
        _CART_DEALS[size] = CompiledQuery(
            lambda *, now, buyer_id, **ids: _cart_deals(
                product_ids=[ids[f"p{i}"] for i in range(size)], buyer_id=buyer_id, now=now
            ),
            prepare=f"jishi_flash_cart_deals_{size}",
            now=_NOW_SENTINELS,
            buyer_id=(-7_400_001, -7_400_002),
            **{f"p{i}": (-7_500_000 - i, -7_600_000 - i) for i in range(size)},
        )
    ids = {f"p{i}": product_id for i, product_id in enumerate(product_ids)}
    return _gated(_CART_DEALS[size].rows(now=now, buyer_id=buyer_id, **ids))


def _cart_deals(*, product_ids: list[int], buyer_id: int | None, now: datetime) -> QuerySet:
    mine = DealPurchase.objects.filter(deal=OuterRef("pk"), buyer_id=buyer_id).values("quantity")[:1]
    deals = _candidate_deals(
        product_ids=product_ids, mine=Subquery(mine) if buyer_id is not None else Value(0), now=now
    )
    return deals.values_list(*_DEAL_COLUMNS)


#: :func:`_cart_deals` compiled once per process and number of products, prepared once per
#: connection (as the early read below); larger carts build it each time.
_CART_DEALS: dict[int, CompiledQuery] = {}
COMPILED_CART_MAX = 8
#: Stand for ``now`` while compiling (never a real time).
_NOW_SENTINELS = (datetime(1901, 1, 1, 0, 0, 7, tzinfo=UTC), datetime(1902, 2, 2, 0, 0, 9, tzinfo=UTC))


# --- admission -------------------------------------------------------------------------------------


@dataclass
class Admission:
    """Units one checkout was admitted for. Give them back with :meth:`release` unless the
    checkout placed its orders (:meth:`keep`); :func:`flash_admission` does both."""

    buyer_id: int
    units: list[tuple[GatedDeal, int]] = field(default_factory=list)
    kept: bool = False

    def keep(self) -> None:
        self.kept = True

    def release(self, *, refusal: ApplicationError | None = None) -> None:
        """Give the admitted units back. A refusal by PostgreSQL about a gated product means the
        counter ran low: that counter is dropped (rebuilt from PostgreSQL on the next call)."""
        if not self.units or self.kept:
            return
        refused_product = (refusal.extra or {}).get("product") if refusal is not None else None
        keys, amounts = [], []
        for deal, quantity in self.units:
            deal_drop = deal.product_id == refused_product and refusal.code in (
                CheckoutErrorCode.SOLD_OUT,
                CheckoutErrorCode.QUANTITY_UNAVAILABLE,
            )
            buyer_drop = deal.product_id == refused_product and refusal.code == CheckoutErrorCode.LIMIT_REACHED
            keys.append(_deal_key(deal.deal_id))
            amounts.append(-1 if deal_drop else quantity)
            if deal.per_buyer_limit is not None:
                keys.append(_buyer_key(deal.deal_id, self.buyer_id))
                amounts.append(-1 if buyer_drop else quantity)
        self.units = []
        _RELEASE(keys=keys, args=amounts, fallback=None)


def _ask_gate(
    *, buyer_id: int, gated: list[tuple[GatedDeal, int]], count: bool, counters: Sequence[tuple[str, int, int]] = ()
):
    """Run the gate's script on ``gated`` (``(deal, units)``), counting the request first on the
    throttles' ``counters`` (``(key, ttl, allowed)``, as ``window_counter`` gives them): ``(the
    gate's answer, the throttles' counts)``, or None without Redis."""
    keys = [key for deal, _ in gated for key in (_deal_key(deal.deal_id), _buyer_key(deal.deal_id, buyer_id))]
    args: list = [RESYNC_SECONDS, 1 if count else 0, len(gated)]
    for deal, quantity in gated:
        limit = -1 if deal.per_buyer_limit is None else deal.per_buyer_limit
        args += [quantity, deal.cap, limit, deal.sold, deal.mine]
    for key, ttl, allowed in counters:
        keys.append(key)
        args += [ttl, allowed]
    answer = _ADMIT(keys=keys, args=args, fallback=None)
    return None if answer is None else (answer[0], [int(count) for count in answer[1]])


def _refusal(answer, gated: list[tuple[GatedDeal, int]]) -> ApplicationError:
    """The refusal PostgreSQL would give for a gate's answer that is not {1}."""
    deal, _quantity = gated[int(answer[1]) - 1]
    if int(answer[0]) == 0:
        left = int(answer[2])
        message = units_left_message(title=deal.title, left=left, in_sale=True)
        return not_enough_error(product_id=deal.product_id, limit=QuantityLimit(left, message))
    return limit_reached_error(
        product_id=deal.product_id, title=deal.title, limit=deal.per_buyer_limit, bought=int(answer[2])
    )


def flash_admit(
    *,
    buyer,
    items: Iterable[tuple[int, int]],
    gated: dict[int, GatedDeal] | None = None,
    admitted: Admission | None = None,
) -> Admission:
    """Admit a checkout of ``items`` (``(product_id, quantity)``) past the gated flash deals, or
    raise the refusal PostgreSQL would give (409 ``sold_out`` / ``quantity_unavailable`` /
    ``limit_reached``). Call before the checkout transaction; see :func:`flash_admission`.
    ``gated``: the cart's gated deals by product as this request just read them
    (``admission_early.EarlyAdmitted``), instead of reading them again; a product it misses (the
    cart changed meanwhile) is not gated, the safe direction: PostgreSQL still decides.
    ``admitted``: the units the gate already admitted this request for (the early read admits
    for real, ``admission_early.EarlyAdmitted.admission``): taken as this checkout's admission
    when they are the units ``items`` need, else given back and the gate asked again."""
    quantities: dict[int, int] = {}
    for product_id, quantity in items:
        quantities[product_id] = quantities.get(product_id, 0) + quantity
    admission = Admission(buyer_id=buyer.pk)
    deals = (
        gated
        if gated is not None or not quantities
        else gated_deals_for_products(product_ids=quantities, buyer_id=buyer.pk)
    )
    gated = [
        (deals[product_id], quantities[product_id]) for product_id in sorted(deals or ()) if product_id in quantities
    ]
    if admitted is not None:
        if admitted.buyer_id == buyer.pk and admitted.units == gated and not admitted.kept:
            return admitted
        admitted.release()
    if not gated:
        return admission
    asked = _ask_gate(buyer_id=buyer.pk, gated=gated, count=True)
    if asked is None:  # no Redis: PostgreSQL alone decides, as without a gate
        return admission
    answer, _counts = asked
    if int(answer[0]) == 1:
        admission.units = gated
        return admission
    raise _refusal(answer, gated)


class flash_admission:  # noqa: N801 (a context manager used like a function)
    """``with flash_admission(buyer=..., items=...) as admission:`` run the checkout; call
    ``admission.keep()`` once its orders are placed. Leaving the block any other way (a
    refusal, an error, a replay that placed nothing) gives the units back at once."""

    def __init__(
        self,
        *,
        buyer,
        items: Iterable[tuple[int, int]],
        gated: dict[int, GatedDeal] | None = None,
        admitted: Admission | None = None,
    ):
        self.admission = flash_admit(buyer=buyer, items=items, gated=gated, admitted=admitted)

    def __enter__(self) -> Admission:
        return self.admission

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc is not None:
            self.admission.kept = False
            self.admission.release(refusal=exc if isinstance(exc, ApplicationError) else None)
        else:
            self.admission.release()


def flash_units_return(*, buyer_id: int, lines: Iterable[tuple[int, int]]) -> None:
    """Give ``(deal_id, quantity)`` units of a closed (cancelled, expired) order back to the
    gate's counters, re-opening admission for the next buyer. Call in the transaction that
    closes the order. The units go back at once rather than on commit: should that transaction
    roll back, the counter is merely low, the safe direction (PostgreSQL refuses the extra buyer
    and the counter is rebuilt). Counters that do not exist are left alone (their rebuild reads
    PostgreSQL)."""
    keys, amounts = [], []
    for deal_id, quantity in lines:
        keys += [_deal_key(deal_id), _buyer_key(deal_id, buyer_id)]
        amounts += [quantity, quantity]
    if keys:
        _RELEASE(keys=keys, args=amounts, fallback=None)
