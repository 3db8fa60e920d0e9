"""Moderation hooks the base apps call without knowing who implements them.

Community owns moderation (reports, blocked terms, bans, the audit trail) but the marketplace and
core cannot import it. So community installs the implementations at ``ready()``
(``community/apps.py``), and lower code calls these functions:

* :func:`screen` — check user-written text against the blocked terms before saving it. Returns
  ``Visibility.VISIBLE`` or ``Visibility.HELD`` (the new content is held for review); raises
  ``ApplicationError`` (code ``blocked_term``) when a term rejects it.
* :func:`posting_refused` — a reason why ``user`` may not post/sell/review now (a ban), or None.
* :func:`held` — content was saved HELD (by :func:`screen`): put it in the moderators' queue.
* :func:`audit` — record a moderation action in the append-only audit trail.
* :func:`can_moderate` — whether a user holds the ``community.moderate`` permission (the
  "Moderators" group has it); ``is_staff`` alone grants nothing.

Without an implementation installed (a bare core test) they accept everything and record nothing.
"""

from collections.abc import Callable

from core.errors import ApplicationError, ErrorCode
from core.visibility import Visibility


class PostingErrorCode(ErrorCode):
    """Refusals of user-written content by moderation (every app that takes text)."""

    BANNED = "banned"
    BLOCKED_TERM = "blocked_term"


#: The permission that makes a moderator (held by the "Moderators" group; superusers have all).
MODERATE_PERMISSION = "community.moderate"

_hooks: dict[str, Callable] = {}


def install(*, screen: Callable, posting_refused: Callable, audit: Callable, held: Callable) -> None:
    """Community installs its implementations (``CommunityConfig.ready()``)."""
    _hooks.update(screen=screen, posting_refused=posting_refused, audit=audit, held=held)


def can_moderate(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and user.has_perm(MODERATE_PERMISSION))


def screen(*, texts, user=None) -> str:
    """``Visibility.VISIBLE`` if ``texts`` (strings; empty ones are skipped) may be posted as they
    are, ``Visibility.HELD`` if they must wait for a moderator; raises ``ApplicationError``
    (``blocked_term``, 400, naming the term) if a blocked term rejects them."""
    hook = _hooks.get("screen")
    return hook(texts=[text for text in texts if text], user=user) if hook else Visibility.VISIBLE


def posting_refused(user) -> str | None:
    """Why ``user`` may not post, chat, vote, review or sell now (a message), or None."""
    hook = _hooks.get("posting_refused")
    return hook(user) if hook and user is not None and user.is_authenticated else None


def held(*, obj, reason: str) -> None:
    """``obj`` was saved HELD for review: queue it (call after creating it, in its transaction)."""
    hook = _hooks.get("held")
    if hook:
        hook(obj=obj, reason=reason)


def posting_check(*, user, texts) -> str:
    """The one check before saving user-written content: 403 ``banned`` if ``user`` may not post
    now; else :func:`screen` (400 ``blocked_term``, or the visibility to save it with —
    ``HELD``: call :func:`held` once it is saved)."""
    refused = posting_refused(user)
    if refused:
        raise ApplicationError(refused, status=403, code=PostingErrorCode.BANNED)
    return screen(texts=texts, user=user)


def posting_allowed(user) -> None:
    """403 ``banned`` if ``user`` may not act now (vote, like, review, sell, chat)."""
    refused = posting_refused(user)
    if refused:
        raise ApplicationError(refused, status=403, code=PostingErrorCode.BANNED)


def audit(**entry) -> None:
    """Record one moderation action (see ``community.services.moderation.audit_record``)."""
    hook = _hooks.get("audit")
    if hook:
        hook(**entry)
