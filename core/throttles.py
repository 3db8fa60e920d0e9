"""O(1) API rate limits: a fixed-window counter, one cache round trip per request
(``REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"]`` points here).

DRF's stock ``AnonRateThrottle``/``UserRateThrottle`` keep every request time of the window in
one cache value and rewrite it on each request (two round trips, and work that grows with the
rate). These use the same scopes and rates (``DEFAULT_THROTTLE_RATES["anon"|"user"]``) with an
``INCR`` per window instead. A burst at a window's edge can reach twice the rate, the usual
fixed-window trade-off. While the cache is unreachable every request is let through (fail open,
see ``core/cache.py``).
"""

import time

from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from core.cache import counter_incr


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
        count = counter_incr(f"{key}:w{window}", ttl=self.duration + 1)
        return count is None or count <= self.num_requests

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
