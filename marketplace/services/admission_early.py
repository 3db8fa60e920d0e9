"""Sale day: "sold out" for an API checkout from Redis alone, before DRF and without SQL.

The API's checkout (``marketplace/api/orders.py`` ``_checkout_early``) asks :func:`flash_early`
first. It answers the refusal the flash gate (``services/admission.py``) would give this
checkout, or None when anything else may answer; the caller then runs the whole checkout, which
decides as always. When the decision was read from PostgreSQL and the gate would admit, it
answers :class:`EarlyAdmitted` (the active buyer behind the token and the cart's gated deals),
and the API places the order at once through ``checkout_submit`` without DRF's token
authentication.

**The entry.** What the decision needs besides the gate's live counters — the buyer behind the
API token (active), the gated flash deals of their cart with the cart's quantities, and the
Idempotency-Keys the buyer has records for — is one JSON entry per token in Redis
(``flash:early:<digest of the token>``), built from PostgreSQL by the first checkout that misses
it. One Lua script (:data:`_EARLY`) reads the entry, checks that it is still valid, and checks the
gate's counters: **one Redis round trip and no SQL** for a refusal.

**Kept right by the writes, as a versioned cache entry** (``core/cache.py``): the entry carries
the tokens its tags held when it was built, read *before* the SQL read it is built from, and the
script uses it only while every tag still holds its token and the entry's ``expires`` has not
passed. The tags:

* ``cart_tag(buyer)``: the buyer's cart (every cart write, every order they place: a new
  Idempotency-Key record with it) and ``buyer_checkout_tag(buyer)``: a recorded refusal, their
  person row (deactivated: 401 again) and their API tokens (a deleted token: 401 again) —
  ``marketplace/caching.py`` says who bumps them;
* ``TAG_ALL``: deals approved, rejected or changed, sale times edited;
* ``TAG_LIVE_DEALS``: a room-only deal started or ended (it un-gates its product).

``expires`` is the first time the gated deals could change by the clock alone: the end of a
gated deal's sale, or the start of another sale with an approved deal on one of those products
(it would price the product too, and un-gate it), and at most ``core.cache.MAX_TTL`` ahead. A
write made outside the services (a raw ``UPDATE``) heals within that time.

**What the script answers** from a valid entry, per gated deal of the cart in product order as
the gate does: a missing counter (flushed, expired) sends the request down the SQL way below
(which rebuilds it from PostgreSQL); not enough units, or the buyer's limit reached, is the
refusal. No gated deal, a gate that would admit, or an Idempotency-Key the buyer has a record
for (it is replayed, whatever it was) all answer None. Nothing is counted or written.

**Without a valid entry** (first checkout of a token, a tag bumped, Redis flushed) the decision
is made as before the entry existed — one compiled, prepared read of token, cart, deals and the
key's record, then a check-only run of the gate — and the entry is built for the next request
(the tags' tokens, that read, the buyer's record keys and the next boundary: two small reads
more). A token with no checkout state to keep (unknown, inactive, a cart without a candidate
deal) stores nothing. Without Redis nothing here answers and every checkout goes the whole way.
When the read finds that the gate would admit, :func:`flash_early` hands the gated deals it read
to the checkout (:class:`EarlyAdmitted`), which admits with them instead of reading them again.

Idempotency: the entry lists the buyer's record keys when it was built, and every new record
bumps one of the buyer's tags on commit, so a retry of a key that has a record (an order placed, a
refusal recorded) is never answered here. The one window: between the commit of a record and
its bump (the on-commit callback right after it), a concurrent duplicate of that request could
be answered "sold out" instead of its replay.
"""

import hashlib
import json
import time
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from django.core.cache import caches
from django.db.models import Count, Exists, Min, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone, translation
from rest_framework.authtoken.models import Token

from core.cache import MAX_TTL, CacheScript, tag_versions
from core.errors import ApplicationError
from core.queries import CompiledQuery
from marketplace.caching import TAG_ALL, TAG_LIVE_DEALS, buyer_checkout_tag, cart_tag
from marketplace.models import CartItem, CheckoutRequest, Deal, DealKind, DealPurchase, DealStatus
from marketplace.selectors.orders import QuantityLimit, units_left_message
from marketplace.services.admission import (
    _DEAL_COLUMNS,
    _NOW_SENTINELS,
    Admission,
    _ask_gate,
    _buyer_key,
    _candidate_deals,
    _deal_key,
    _gated,
    _refusal,
    limit_reached_error,
    not_enough_error,
)

#: More record keys than this and the buyer's entry is not kept (their checkouts take the SQL way).
MAX_RECORD_KEYS = 100

#: KEYS: the token's entry. ARGV: now (epoch seconds), the request's Idempotency-Key ('' for
#: none). Answers {-9} (no entry), {-9, buyer} (an entry no longer valid), {-8, buyer} (the key
#: has a record), {-7, buyer} (a gate counter is missing), {1, buyer} (nothing to refuse: no gated
#: deal, or the gate would admit), {0, buyer, left, product, title} (not enough units),
#: {2, buyer, bought, product, title, limit} (the buyer's limit).
#: What stands for the buyer's id in a throttle counter's key until the script knows the buyer.
BUYER = "@buyer@"

#: KEYS: the token's entry. ARGV: now (epoch seconds), the request's Idempotency-Key ('' for
#: none), then per API throttle the key of its counter (with :data:`BUYER` for the buyer's id) and
#: its life in seconds. Answers {-9} (no entry), {-9, buyer} (an entry no longer valid), {-8,
#: buyer} (the key has a record), {-7, buyer} (a gate counter is missing), {1, buyer} (nothing to
#: refuse: no gated deal, or the gate would admit), or a refusal {code, buyer, n, product, title,
#: limit, throttle counts...}: code 0 (not enough units: n left) or 2 (the buyer's limit: n
#: bought). Only a refusal counts the throttles (``INCR`` + ``EXPIRE``, as ``counter_incr``).
_EARLY = CacheScript("""
local raw = redis.call('GET', KEYS[1])
if not raw then return {-9} end
local e = cjson.decode(raw)
if tonumber(ARGV[1]) >= e.x then return {-9, e.b} end
for _, tag in ipairs(e.t) do
  local v = redis.call('GET', tag[1])
  if not v or not string.find(v, tag[2], 1, true) then return {-9, e.b} end
end
if ARGV[2] ~= '' then
  for _, k in ipairs(e.k) do if k == ARGV[2] then return {-8, e.b} end end
end
local answer = nil
for _, l in ipairs(e.l) do
  local taken = redis.call('GET', l[6])
  if not taken then return {-7, e.b} end
  taken = tonumber(taken)
  if taken + l[3] > l[4] then answer = {0, e.b, l[4] - taken, l[1], l[2], -1}; break end
  if l[5] >= 0 then
    local mine = redis.call('GET', l[7])
    if not mine then return {-7, e.b} end
    mine = tonumber(mine)
    if mine + l[3] > l[5] then answer = {2, e.b, mine, l[1], l[2], l[5]}; break end
  end
end
if not answer then return {1, e.b} end
local buyer = e.s or tostring(e.b)
for i = 3, #ARGV, 2 do
  local key = string.gsub(ARGV[i], '@buyer@', buyer)
  table.insert(answer, redis.call('INCR', key))
  redis.call('EXPIRE', key, ARGV[i + 1])
end
return answer
""")

#: Store an entry: KEYS the entry, ARGV its JSON and its life in seconds.
_STORE = CacheScript("return redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])")


def _entry_key(token: str) -> str:
    return f"flash:early:{hashlib.sha256(token.encode()).hexdigest()[:40]}"


def _early_read(*, token: str, key: str | None, now: datetime) -> QuerySet:
    """The candidate deals of the cart of the active user whose API ``token`` this is, each with
    the number of lines in the cart, the buyer's id, the cart's quantity of the product and
    whether the buyer already has a checkout recorded under Idempotency-Key ``key``: no rows
    when the token is unknown or its user inactive, or the cart has no candidate deal."""
    buyer = Token.objects.filter(key=token, user__is_active=True).values("user_id")[:1]
    cart = CartItem.objects.filter(cart__user_id=Subquery(buyer))
    mine = DealPurchase.objects.filter(deal=OuterRef("pk"), buyer_id=Subquery(buyer)).values("quantity")[:1]
    quantity = cart.filter(product_id=OuterRef("product_id")).order_by().values("quantity")[:1]
    recorded = CheckoutRequest.objects.filter(user_id=Subquery(buyer), key=key)
    lines = cart.order_by().values("cart_id").annotate(lines=Count("pk")).values("lines")
    return (
        _candidate_deals(product_ids=cart.values("product_id"), mine=Subquery(mine), now=now)
        .annotate(
            cart_lines=Subquery(lines),
            buyer_id=Subquery(buyer),
            quantity=Subquery(quantity),
            recorded=Exists(recorded),
        )
        .values_list(*_DEAL_COLUMNS, "cart_lines", "buyer_id", "quantity", "recorded")
    )


#: :func:`_early_read`'s SQL, compiled once per process (its ORM build cost more than the rest
#: of a refusal) and prepared once per connection on PostgreSQL (planning it cost more than
#: running it); the sentinels are values no request sends.
_EARLY_READ = CompiledQuery(
    _early_read,
    prepare="jishi_flash_early_read",
    token=("\x01early-token-a", "\x01early-token-b"),
    key=("\x01early-key-a", "\x01early-key-b"),
    now=_NOW_SENTINELS,
)


@dataclass(frozen=True)
class EarlyRefusal:
    buyer_id: int
    #: Read-only: a refusal answered from the entry is shared by every request refused alike
    #: (:func:`_early_error`); never raised.
    error: ApplicationError
    #: The throttles' counts after counting this request, in the order of ``counters``; None
    #: when they were not counted (the caller counts).
    counts: list[int] | None = None
    #: Equal for refusals answered from the entry with an equal ``error`` (the script's answer
    #: but the buyer, and the language): what the caller may key a rendered answer on. None for
    #: one read from PostgreSQL.
    same_as: tuple | None = None


#: How many refusals answered from entries a process keeps built (:func:`_early_error`, and the
#: API's rendered bodies of them).
MAX_REFUSALS_KEPT = 256


@dataclass(frozen=True)
class EarlyAdmitted:
    """The gate would admit this checkout, decided from PostgreSQL just now: the buyer and the
    gated deals of their cart as read (``services.admission.GatedDeal`` by product; empty: none),
    which the checkout may take instead of reading them again (``flash_admit(gated=...)``).
    Asked to admit (``flash_early(admit=True)``), the gate counted the units: ``admission``
    (``services.admission.Admission``, None when nothing was counted), which the caller hands to
    the checkout (``flash_admit(admitted=...)``) or gives back. ``counts``: the throttles'
    counts after counting this request in the gate's round trip (in the order of ``counters``;
    None: not counted, the caller counts). A throttled request is admitted for nothing."""

    buyer_id: int
    gated: dict
    admission: Admission | None = None
    counts: list[int] | None = None
    #: The buyer's whole cart, ``(product_id, quantity)`` by product, when the read's rows named
    #: every line of it (each line's product has a candidate deal, as a sale-day cart of a flash
    #: deal): the checkout takes it instead of reading the cart again. None: it reads the cart.
    items: list[tuple[int, int]] | None = None


def flash_refusal_early(
    *, token: str, idempotency_key: str | None, counters: list[tuple[str, int, int]] | None = None
) -> EarlyRefusal | None:
    """:func:`flash_early`'s refusal, or None."""
    answer = flash_early(token=token, idempotency_key=idempotency_key, counters=counters)
    return answer if isinstance(answer, EarlyRefusal) else None


def flash_early(
    *,
    token: str,
    idempotency_key: str | None,
    counters: list[tuple[str, int, int]] | None = None,
    admit: bool = False,
) -> EarlyRefusal | EarlyAdmitted | None:
    """For the API's checkout of the buyer with API ``token``: the refusal the gate would give
    this checkout, or None when anything else may answer — the token is unknown or its user
    inactive, the cart has no gated deal, the buyer has a record under ``idempotency_key`` (it is
    replayed), the gate would admit, or Redis is unavailable. The caller then runs the whole
    checkout, which decides as always (and admits for real). Nothing is counted or written
    (but the entry of the module docstring) except, with ``counters`` (the API throttles'
    ``window_counter`` keys, :data:`BUYER` standing for the buyer), the throttles' counters of a
    refusal answered from the entry: their new counts are in :attr:`EarlyRefusal.counts`.
    When the decision was read from PostgreSQL and the gate would admit, what was read comes
    back as :class:`EarlyAdmitted` (for the checkout that follows: one read fewer); with
    ``admit``, that gate admitted for real and, with ``counters``, counted the throttles in the
    same round trip (:class:`EarlyAdmitted`'s ``admission`` and ``counts``; a refusal read from
    PostgreSQL then has its ``counts`` too)."""
    backend = caches["default"]
    args = [repr(time.time()), idempotency_key or ""]
    for key, ttl, _allowed in counters or ():
        args += [backend.make_key(key), ttl]
    answer = _EARLY(keys=[_entry_key(token)], args=args, fallback=None)
    if answer is None:  # no Redis: the whole checkout decides
        return None
    code = int(answer[0])
    if code in (0, 2):
        same_as = (translation.get_language(), code, *answer[2:6])
        error = _early_error(same_as)
        counts = [int(count) for count in answer[6:]] if counters is not None else None
        return EarlyRefusal(buyer_id=int(answer[1]), error=error, counts=counts, same_as=same_as)
    if code in (1, -8):
        return None
    return _refusal_by_sql(
        token=token, idempotency_key=idempotency_key, build=code == -9, admit=admit, counters=counters
    )


@lru_cache(maxsize=MAX_REFUSALS_KEPT)
def _early_error(same_as: tuple) -> ApplicationError:
    """The refusal the script answered (``same_as``: the language, then the script's code 0 —
    not enough units, ``n`` left — or 2 — the buyer's ``limit``, ``n`` bought — and its
    ``n, product_id, title, limit``), built once per process and language: on sale day every
    late buyer of a deal gets the same one (its message is a translated, formatted string)."""
    _language, code, n, product_id, title, limit = same_as
    n, product_id, title, limit = int(n), int(product_id), title.decode(), int(limit)
    if code == 0:
        message = units_left_message(title=title, left=n, in_sale=True)
        return not_enough_error(product_id=product_id, limit=QuantityLimit(n, message))
    return limit_reached_error(product_id=product_id, title=title, limit=limit, bought=n)


def _refusal_by_sql(*, build: bool, **decision) -> EarlyRefusal | EarlyAdmitted | None:
    """The decision from PostgreSQL (one read) and a run of the gate (which rebuilds missing
    counters): ``decision`` is :func:`_decide`'s arguments but ``now``. With ``build``, a refusal
    also builds the token's entry for the next request: the tags' tokens, then the same read
    again (an entry must come from data read after its tags), the record keys and the next
    boundary. A checkout that goes on pays nothing more, and gets what was read
    (:class:`EarlyAdmitted`) so that it does not read the deals again (with ``admit``, the units
    the gate admitted; ``counters``: see :func:`flash_early`)."""
    refusal = _decide(now=timezone.now(), **decision)
    token = decision["token"]
    if not isinstance(refusal, EarlyRefusal) or not build:
        return refusal
    versions = tag_versions((cart_tag(refusal.buyer_id), buyer_checkout_tag(refusal.buyer_id), TAG_ALL, TAG_LIVE_DEALS))
    if None in versions.values():
        return refusal
    now = timezone.now()
    rows = _EARLY_READ.rows(token=token, key=None, now=now)
    if rows and rows[0][-3] == refusal.buyer_id:
        gated = _gated_lines(rows)
        if gated:
            _entry_store(token=token, buyer_id=refusal.buyer_id, gated=gated, versions=versions, now=now)
    return refusal


def _cart_quantities(rows) -> dict[int, int]:
    """The cart's quantity of each product of :func:`_early_read`'s rows."""
    return {row[1]: row[-2] for row in rows}


def _gated_lines(rows) -> list:
    """``(GatedDeal, units in the cart)`` of :func:`_early_read`'s rows, in product order."""
    quantities = _cart_quantities(rows)
    deals = _gated(rows)
    return [(deals[product_id], quantities[product_id]) for product_id in sorted(deals)]


def _decide(
    *,
    token: str,
    idempotency_key: str | None,
    now: datetime,
    admit: bool = False,
    counters: list[tuple[str, int, int]] | None = None,
) -> EarlyRefusal | EarlyAdmitted | None:
    """What the gate says of the token's checkout, read from PostgreSQL (see :func:`flash_early`:
    ``admit`` counts the units, ``counters`` the throttles, in the gate's one round trip)."""
    rows = _EARLY_READ.rows(token=token, key=idempotency_key or None, now=now)
    if not rows or any(row[-1] for row in rows):
        return None
    buyer_id = rows[0][-3]
    gated = _gated_lines(rows)
    deals = {deal.product_id: deal for deal, _quantity in gated}
    quantities = _cart_quantities(rows)
    items = sorted(quantities.items()) if len(quantities) == rows[0][-4] else None  # the whole cart
    if not gated:
        return EarlyAdmitted(buyer_id=buyer_id, gated=deals, items=items)
    mine = [(key.replace(BUYER, str(buyer_id)), ttl, allowed) for key, ttl, allowed in counters or ()]
    asked = _ask_gate(buyer_id=buyer_id, gated=gated, count=admit, counters=mine)
    if asked is None:
        return None
    answer, counts = asked
    counts = counts if counters is not None else None
    code = int(answer[0])
    if code == 3:  # throttled: the gate was not asked, the whole way answers 429
        return EarlyAdmitted(buyer_id=buyer_id, gated=deals, counts=counts, items=items)
    if code not in (0, 2):
        admission = Admission(buyer_id=buyer_id, units=gated) if admit else None
        return EarlyAdmitted(buyer_id=buyer_id, gated=deals, admission=admission, counts=counts, items=items)
    return EarlyRefusal(buyer_id=buyer_id, error=_refusal(answer, gated), counts=counts)


def _entry_store(*, token: str, buyer_id: int, gated: list, versions: dict, now: datetime) -> None:
    """Store the token's entry (module docstring): unless the buyer has too many record keys."""
    keys = list(CheckoutRequest.objects.filter(user_id=buyer_id).values_list("key", flat=True)[: MAX_RECORD_KEYS + 1])
    if len(keys) > MAX_RECORD_KEYS:
        return
    deal_ids = [deal.deal_id for deal, _quantity in gated]
    bounds = Deal.objects.filter(
        product_id__in=[deal.product_id for deal, _quantity in gated], kind=DealKind.SALE, status=DealStatus.APPROVED
    ).aggregate(
        ends=Min("sale__ends_at", filter=Q(pk__in=deal_ids)),
        starts=Min("sale__starts_at", filter=Q(sale__starts_at__gt=now)),
    )
    expires = now.timestamp() + MAX_TTL
    for bound in bounds.values():
        if bound is not None:
            expires = min(expires, bound.timestamp())
    if expires <= now.timestamp():
        return
    backend = caches["default"]
    entry = {
        "b": buyer_id,
        "s": str(buyer_id),
        "x": expires,
        "t": [[backend.make_key(tag), version] for tag, version in versions.items()],
        "k": keys,
        "l": [
            [
                deal.product_id,
                deal.title,
                quantity,
                deal.cap,
                -1 if deal.per_buyer_limit is None else deal.per_buyer_limit,
                backend.make_key(_deal_key(deal.deal_id)),
                backend.make_key(_buyer_key(deal.deal_id, buyer_id)),
            ]
            for deal, quantity in gated
        ],
    }
    ttl = max(1, int(expires - now.timestamp()))
    _STORE(keys=[_entry_key(token)], args=[json.dumps(entry, ensure_ascii=False), ttl], fallback=None)
