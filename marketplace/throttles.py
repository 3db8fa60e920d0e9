"""O(1) API rate limits: a fixed-window counter, one cache round trip per request.

DRF's stock ``AnonRateThrottle``/``UserRateThrottle`` keep every request time of the window in
one cache value and rewrite it on each request (two round trips, and work that grows with the
rate). These use the same scopes and rates (``DEFAULT_THROTTLE_RATES["anon"|"user"]``) with an
``INCR`` per window instead. A burst at a window's edge can reach twice the rate, the usual
fixed-window trade-off.
"""

import time

from django.core.cache import cache
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from marketplace.caching import redis_client


class _FixedWindow:
    def allow_request(self, request, view):
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        now = time.time()
        window = int(now // self.duration)
        self.window_ends = (window + 1) * self.duration
        count = _incr(f"{key}:w{window}", ttl=self.duration + 1)
        return count <= self.num_requests

    def wait(self):
        return max(0.0, self.window_ends - time.time())


def _incr(key: str, *, ttl: int) -> int:
    client = redis_client()
    if client is None:
        cache.add(key, 0, timeout=ttl)
        return cache.incr(key)
    real_key = cache.make_key(key)
    count, _ = client.pipeline(transaction=False).incr(real_key).expire(real_key, ttl).execute()
    return count


class AnonWindowThrottle(_FixedWindow, AnonRateThrottle):
    """Anonymous requests per IP, at the ``anon`` rate."""


class UserWindowThrottle(_FixedWindow, UserRateThrottle):
    """Requests per signed-in user, at the ``user`` rate. (DRF's version also counts anonymous
    requests per IP at the ``user`` rate, which the stricter ``anon`` rate already covers: one
    counter per request instead of two.)"""

    def get_cache_key(self, request, view):
        return super().get_cache_key(request, view) if request.user and request.user.is_authenticated else None
