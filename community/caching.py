"""Community's cache tags (the machinery is ``core/cache.py``: ``cached``, ``bump_on_commit``).

The signed-in user of every request, with the header's unread badge, is a versioned cache entry
(``community.selectors.notifications.user_get_signed_in``) that depends on:

* :func:`user_tag` — bumped by every write to the person (``post_save``/``post_delete`` of
  ``User``, and the services that ``UPDATE`` a person's row: sign out everywhere, language) and
  by every write to their inbox (a notification created, marked read);
* ``core.visibility.VISIBILITY_TAG`` — bumped by every visibility change of any content
  (``core.visibility.visibility_update``), and :data:`CONTENT_TAG` — bumped by every change
  (not creation) or delete of a registered kind of content (``community/moderation.py``): the
  badge counts only notifications whose subject is public, and those are the writes that can
  change it.

An API token's entry (``community.authentication.CachedTokenAuthentication``) depends on
:func:`token_tag` of its key (bumped when the token is deleted) and, as extra tags, on the
same tags as its person's entry.
"""

import hashlib

#: Bumped on commit by every change (not creation) or delete of a row of a registered content kind.
CONTENT_TAG = "com:v:content"


def user_tag(user_id: int) -> str:
    """A person's row and inbox (the signed-in user entry of their requests)."""
    return f"com:v:user:{user_id}"


def feed_tag(user_id: int) -> str:
    """A person's "for you" questions page (cached per person: ``community.views.questions_home``):
    bumped when their feed entries are rebuilt or cleared (``services.feeds``,
    ``services.activity``) and when they answer (an answered question leaves their feed)."""
    return f"com:v:feed:{user_id}"


def token_digest(key: str) -> str:
    """What names an API token in cache keys (never the key itself)."""
    return hashlib.sha256(key.encode()).hexdigest()[:40]


def token_tag(key: str) -> str:
    """An API token (bumped when it is deleted: signing out everywhere, a password change)."""
    return f"com:v:token:{token_digest(key)}"
