"""The session engine: Django's ``cached_db`` (sessions read from the cache, written through to
the database, which stays the store of record), except that a session read ahead with the page
(``core.cache.read_ahead``, ``core/pages.py``) is not read from the cache a second time.

``SESSION_ENGINE = "core.sessions"``."""

from django.contrib.sessions.backends.cached_db import SessionStore as CachedDbSessionStore

from core.cache import ahead_get


class SessionStore(CachedDbSessionStore):
    def load(self):
        if self.session_key is not None:
            found, data = ahead_get(self.cache_key)
            if found and data is not None:
                return data
        return super().load()

    def known(self) -> bool:
        """Whether this session is loaded or read ahead (reading it costs no round trip)."""
        return hasattr(self, "_session_cache") or ahead_get(self.cache_key)[0]

    def ahead_key(self) -> str | None:
        """The cache key to read this session ahead under, or None when the request brought no
        session (reading it would create one)."""
        return self.cache_key if self.session_key is not None else None
