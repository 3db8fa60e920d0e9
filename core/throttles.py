"""Abuse limits, all on atomic fixed-window counters in the cache (``core.cache.counter_incr``:
one ``INCR`` round trip, failing open while Redis is unreachable).

* :func:`client_ip`: the client's address, believing ``X-Forwarded-For`` only from configured
  proxies (``NUM_PROXIES`` or the ``TRUSTED_PROXIES`` allow-list); with neither, the socket's
  address, so a client cannot reset its limits by sending a new header.
* The API throttles (``REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"]`` points here), per IP and per user.
* :func:`action_limit`: per-user limits on posting (questions, answers, reviews, follows, voucher
  claims), called by the services, so pages and API share them (``USER_ACTION_LIMITS``).
* :func:`failures_wait` / :func:`failure_record` / :func:`failures_clear`: lockout counters
  (sign-in failures per account and per IP: ``community.services.people``).

The API throttles:

DRF's stock ``AnonRateThrottle``/``UserRateThrottle`` keep every request time of the window in
one cache value and rewrite it on each request (two round trips, and work that grows with the
rate). These use the same scopes and rates (``DEFAULT_THROTTLE_RATES["anon"|"user"]``) with an
``INCR`` per window instead. A burst at a window's edge can reach twice the rate, the usual
fixed-window trade-off. While the cache is unreachable every request is let through (fail open,
see ``core/cache.py``).
"""

import ipaddress
import math
import time
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _
from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle, SimpleRateThrottle, UserRateThrottle

from core.cache import counter_incr
from core.errors import ApplicationError, CoreErrorCode

# --- the client's address --------------------------------------------------------------------


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())


def _trusted(address: str, networks: tuple) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_ip(request) -> str:
    """The address limits are counted against. ``X-Forwarded-For`` is believed only as far as
    configured: with ``TRUSTED_PROXIES`` (addresses or CIDR networks), the nearest hop that is not
    a trusted proxy, walking the header from the right, and only if the request came from one;
    else with ``NUM_PROXIES = n`` (n proxies in front of every request), the n-th address from
    the right, as DRF does; else ``REMOTE_ADDR`` alone. A client cannot choose its address by
    sending the header itself."""
    remote = request.META.get("REMOTE_ADDR", "")
    forwarded = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    if networks:
        if not _trusted(remote, networks):
            return remote
        for hop in reversed(forwarded):
            if not _trusted(hop, networks):
                return hop
        return forwarded[0] if forwarded else remote
    if settings.NUM_PROXIES and forwarded:
        return forwarded[-min(settings.NUM_PROXIES, len(forwarded))]
    return remote


# --- per-user action limits ------------------------------------------------------------------


def _window(duration: int) -> tuple[int, float]:
    """The current fixed window's number and the seconds left in it."""
    now = time.time()
    window = int(now // duration)
    return window, (window + 1) * duration - now


def action_limit(scope: str, *, user_id: int) -> None:
    """Count one ``scope`` action (``"question"``, ``"answer"``, ...) by a user and refuse it with
    429 ``rate_limited`` (``retry_after`` seconds in ``extra``; the API sends ``Retry-After``)
    past the rate ``USER_ACTION_LIMITS[scope]`` (e.g. ``"20/hour"``). Unknown scopes and an
    unreachable cache let the action through."""
    rate = settings.USER_ACTION_LIMITS.get(scope)
    if not rate:
        return
    allowed, duration = SimpleRateThrottle.parse_rate(None, rate)
    window, left = _window(duration)
    count = counter_incr(f"act:{scope}:{user_id}:w{window}", ttl=duration + 1)
    if count is not None and count > allowed:
        wait = max(1, math.ceil(left))
        minutes = max(1, math.ceil(wait / 60))
        raise ApplicationError(
            _("You are doing that too often. Try again in %(minutes)d min.") % {"minutes": minutes},
            status=429,
            code=CoreErrorCode.RATE_LIMITED,
            extra={"retry_after": wait},
        )


# --- lockout counters ------------------------------------------------------------------------


def failures_wait(limits: dict[str, int], *, window: int) -> int | None:
    """Seconds until the lockout ends if any counter in ``limits`` (key -> failures allowed per
    ``window`` seconds) has reached its limit in the current window, else None."""
    number, left = _window(window)
    counts = cache.get_many([f"{key}:w{number}" for key in limits])
    for key, limit in limits.items():
        if int(counts.get(f"{key}:w{number}") or 0) >= limit:
            return max(1, math.ceil(left))
    return None


def failure_record(keys, *, window: int) -> None:
    """Count one failure on each counter (atomic ``INCR``; nothing while Redis is unreachable)."""
    number, _left = _window(window)
    for key in keys:
        counter_incr(f"{key}:w{number}", ttl=window + 1)


def failures_clear(key: str, *, window: int) -> None:
    number, _left = _window(window)
    cache.delete(f"{key}:w{number}")


class _FixedWindow:
    def get_ident(self, request):
        return client_ip(request)

    def window_counter(self, request, view) -> tuple[str, int, int] | None:
        """The counter ``request`` counts on now: ``(cache key, seconds it lives, requests
        allowed in the window)``, or None when this throttle does not count it. For a caller that
        counts the request itself in a round trip it makes anyway (the sale-day early checkout
        answer counts in its Lua script); :meth:`allow_request` counts with it."""
        if self.rate is None:
            return None
        key = self.get_cache_key(request, view)
        if key is None:
            return None
        window = int(time.time() // self.duration)
        self.window_ends = (window + 1) * self.duration
        return f"{key}:w{window}", self.duration + 1, self.num_requests

    def allow_request(self, request, view):
        counter = self.window_counter(request, view)
        if counter is None:
            return True
        key, ttl, allowed = counter
        count = counter_incr(key, ttl=ttl)
        return count is None or count <= allowed

    def wait(self):
        return max(0.0, self.window_ends - time.time())


class AnonWindowThrottle(_FixedWindow, AnonRateThrottle):
    """Anonymous requests per IP, at the ``anon`` rate."""


class UserWindowThrottle(_FixedWindow, UserRateThrottle):
    """Requests per signed-in user, at the ``user`` rate. (DRF's version also counts anonymous
    requests per IP at the ``user`` rate, which the stricter ``anon`` rate already covers: one
    counter per request instead of two.)"""

    def get_cache_key(self, request, view):
        return super().get_cache_key(request, view) if request.user and request.user.is_authenticated else None


class ScopedWindowThrottle(_FixedWindow, ScopedRateThrottle):
    """Requests per user (or per client address when anonymous) for a view's ``throttle_scope``
    (e.g. ``register``), at ``DEFAULT_THROTTLE_RATES[scope]``."""

    def allow_request(self, request, view):
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)
