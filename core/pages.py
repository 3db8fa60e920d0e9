"""Whole pages from the cache for signed-in visitors too: the *shell* of a page.

A browsing page (a product, a shop, a list) is the same for everyone but for a few per-visitor
bits: the account links in the header (name, unread badge, log-out form), the CSRF token in its
forms, the messages of the last action, and the per-request page slots (``core/slots.py``: a
voucher box with the visitor's claims, a follow button). Rendering ``base.html`` around a cached
main part for each signed-in request costs more than everything else on the page.

So such a page is cached whole once more, as its *shell*: rendered with ``shell=True`` in the
context, ``base.html`` leaves :data:`ACCOUNT_MARKER` where the account links go, the forms carry
:data:`CSRF_PLACEHOLDER`, the per-request slots stay markers, and there are no messages. Per
request, :func:`serve_shell` puts in the visitor's account links (``_account_nav.html`` over the
signed-in user, who comes from the cache with the badge: ``community.backends``; rendered by the
function installed with :func:`install`), their CSRF token and the server clock; the slot middleware fills the
per-request slots. The shell is a versioned entry (``core.cache.cached``) under the page's own
tags, so it is exactly as fresh as the anonymous page: a price, stock or deal change shows on the
next request, signed in or not.

A request with messages waiting (a cookie or the session says so) gets the page rendered in full,
so the messages show and are consumed as before.

A shell costs two cache round trips (``core.cache.read_ahead``): the shell with the visitor's
session, then, from the user id in the session and the per-request slots' markers in the shell,
the signed-in user's entry (installed by community: :func:`install`'s ``user_entries``) with the
entries of those slots (their ``ahead=``, ``core.slots.ahead``). Without reading ahead it was one
round trip for each of them. A visitor this process has served before costs one: the first read
also takes the user's and slots' entries of their last visit (:func:`read_ahead_shell`'s guess,
checked against the session once it is read). So does a page cached per visitor, whose key
names them (:func:`visitor_shell_ahead`: the session is read with the shell it led to last time).
"""

import os
import re
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.http import HttpResponse
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH, get_token
from django.shortcuts import render
from django.template.loader import render_to_string

from core import slots
from core.cache import cached, clock_filled, read_ahead

#: Where ``base.html`` puts the account links when it renders a shell.
ACCOUNT_MARKER = "<!--jishi-account-->"
#: Stands for the CSRF token inside cached HTML; replaced per request.
CSRF_PLACEHOLDER = "__JISHI_CSRF_TOKEN__"

_ACCOUNT = ACCOUNT_MARKER.encode()
_CSRF = CSRF_PLACEHOLDER.encode()

_account_links: Callable | None = None
_user_entries: Callable | None = None


def install(*, account_links: Callable, user_entries: Callable | None = None) -> None:
    """The app that owns the person installs what renders the header's account links for a
    request (community, at ``ready()``: ``community.header.account_links``); the CSRF token may
    be :data:`CSRF_PLACEHOLDER`. Without one, ``_account_nav.html`` is rendered with the request.
    ``user_entries(user_id)`` names the cache entries (``{key: tags}``) that loading the
    signed-in user ``user_id`` (as the session holds it) reads, to read them ahead."""
    global _account_links, _user_entries
    _account_links, _user_entries = account_links, user_entries


def account_links(request) -> str:
    if _account_links is not None:
        return _account_links(request)
    return render_to_string("_account_nav.html", request=request)


def _session_ahead_key(request) -> str | None:
    session = getattr(request, "session", None)
    return session.ahead_key() if hasattr(session, "ahead_key") else None


def _entries_of(user_id) -> dict:
    return _user_entries(user_id) if user_id is not None and _user_entries is not None else {}


def visitor_id(request) -> str | None:
    """The signed-in user's id as the visitor's session holds it (None without one), reading the
    session (ahead, if this request has not read it yet) but not the user: for a page cached per
    visitor, whose key names them, to read its shell with the user (:func:`read_ahead_shell`).
    Serve the page only once ``request.user`` is authenticated (it is this id then)."""
    session_key = _session_ahead_key(request)
    if session_key is None:
        return None
    if not request.session.known():
        read_ahead(keys=[session_key])
    return request.session.get(SESSION_KEY)


#: How many sessions (and shells per user) this process remembers for its guesses (then it
#: starts again: a guess is only what to read ahead).
REMEMBERED = 10_000

#: The user id each session key held when this process last read it, and the entries a shell's
#: per-request slots read for a user (``core.slots.ahead``): what :func:`read_ahead_shell`
#: guesses a session not read yet will need. The session, once read, says who it is; a wrong
#: guess only read a few entries for nothing, and what the right user needs is read then.
_session_users: dict[str, str] = {}
_shell_entries: dict[tuple[str, str], dict] = {}


def _remember(session_key: str, shell_key: str, user_id, entries: dict) -> None:
    for memo in (_session_users, _shell_entries):
        if len(memo) >= REMEMBERED:
            memo.clear()
    _session_users[session_key] = user_id
    _shell_entries[(shell_key, user_id)] = entries


def _guessed_entries(session_key: str, shell_key: str) -> dict:
    """What the signed-in visitor of a session not read yet will need with the shell under
    ``shell_key`` (their user's entry, their slots' entries), as this process last saw that
    session; nothing for a session it has not seen signed in."""
    user_id = _session_users.get(session_key)
    if user_id is None:
        return {}
    return {**_entries_of(user_id), **_shell_entries.get((shell_key, user_id), {})}


def read_ahead_shell(request, *, key: str, tags, also: dict | None = None) -> None:
    """Read the shell of the page under ``key`` ahead (``core.cache.read_ahead``) with the
    visitor's session, or, once the session is read, with their user's entry: call before
    ``request.user`` when the page's key names the visitor (:func:`visitor_id`); :func:`serve_shell`
    calls it too (nothing already read ahead is read twice). ``also``: other versioned entries
    (``{key: tags}``) the page's build reads, fetched in the same round trip. With a session not
    read yet that this process has seen signed in, the user's and slots' entries of that visit
    are read too (:func:`serve_shell`: one round trip instead of two when the guess holds)."""
    session_key = _session_ahead_key(request)
    known = session_key is not None and request.session.known()
    user_id = request.session.get(SESSION_KEY) if known else None
    guessed = _guessed_entries(session_key, f"{key}:shell") if session_key and not known else {}
    read_ahead(
        {f"{key}:shell": tags, **_entries_of(user_id), **guessed, **(also or {})},
        keys=[session_key] if session_key and not known else (),
    )


def visitor_shell_ahead(request, *, key: Callable[[str], str], tags: Callable[[str], tuple]) -> str | None:
    """For a page cached per visitor (its key and tags name them: a cart, a feed): the visitor's
    id as their session holds it (:func:`visitor_id`), with the shell of their page read ahead
    (:func:`read_ahead_shell` of ``key(id)`` under ``tags(id)``). The session must be read to
    know whose page it is, so that is two round trips; for a session this process has served
    signed in it is one: the session is read with the shell and entries of the person it held
    then (the guess), and only if it holds someone else now is their shell read after it. A
    wrong guess read another person's entries for nothing; the page is served only for
    ``request.user``, under their own key."""
    session_key = _session_ahead_key(request)
    if session_key is None:
        return None
    guess = _session_users.get(session_key) if not request.session.known() else None
    if guess is not None:
        shell = f"{key(guess)}:shell"
        entries = {shell: tags(guess), **_entries_of(guess), **_shell_entries.get((shell, guess), {})}
        read_ahead(entries, keys=[session_key])
    user_id = visitor_id(request)
    if user_id is not None:
        read_ahead_shell(request, key=key(user_id), tags=tags(user_id))  # no round trip if guessed
    return user_id


def messages_waiting(request) -> bool:
    """Whether the messages framework may have something to show this request (its cookie, or
    messages kept in the session), without reading them (which would consume them)."""
    if "messages" in request.COOKIES:
        return True
    session = getattr(request, "session", None)
    return session is not None and settings.SESSION_COOKIE_NAME in request.COOKIES and "_messages" in session


#: Random bytes below this fall evenly on the CSRF token's 62 characters (248 = 4 x 62).
_CSRF_EVEN = 256 - 256 % len(CSRF_ALLOWED_CHARS)
#: ``bytes.translate`` tables: a random byte to its character (bytes from :data:`_CSRF_EVEN` up
#: are deleted), a character to its index, and a sum of two indices to the character of that sum
#: modulo 62 (Django's masking: ``chars[(x + y) % len(chars)]``).
_CSRF_FROM_BYTE = bytes(ord(CSRF_ALLOWED_CHARS[byte % len(CSRF_ALLOWED_CHARS)]) for byte in range(256))
_CSRF_UNEVEN = bytes(range(_CSRF_EVEN, 256))
_CSRF_TO_INDEX = bytes(CSRF_ALLOWED_CHARS.find(chr(byte)) % 256 for byte in range(256))
_CSRF_FROM_SUM = bytes(ord(CSRF_ALLOWED_CHARS[total % len(CSRF_ALLOWED_CHARS)]) for total in range(256))
_CSRF_SECRET = re.compile(rf"[{re.escape(CSRF_ALLOWED_CHARS)}]{{{CSRF_SECRET_LENGTH}}}")


def _csrf_random() -> bytes:
    """:data:`CSRF_SECRET_LENGTH` uniformly random characters of ``CSRF_ALLOWED_CHARS`` (ASCII)
    from the OS's random source in one call (Django's ``get_random_string`` makes one call per
    character: ~80 µs of a page's CPU). A byte at or above :data:`_CSRF_EVEN` is dropped, so every
    character is equally likely, as with ``secrets.choice``."""
    picked = b""
    while len(picked) < CSRF_SECRET_LENGTH:
        picked += os.urandom(48).translate(_CSRF_FROM_BYTE, _CSRF_UNEVEN)
    return picked[:CSRF_SECRET_LENGTH]


def _csrf_get_token(request) -> str:
    """``django.middleware.csrf.get_token`` (the same secret, the same flags for the middleware,
    a token its ``_unmask_cipher_token`` reads) with the random characters of :func:`_csrf_random`."""
    if "CSRF_COOKIE" in request.META:
        secret = request.META["CSRF_COOKIE"]
        if not isinstance(secret, str) or not _CSRF_SECRET.fullmatch(secret):
            return get_token(request)
        request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True  # renew the cookie's expiry, as Django does
    else:
        secret = _csrf_random().decode()
        request.META.update({"CSRF_COOKIE": secret, "CSRF_COOKIE_NEEDS_UPDATE": True})
    mask = _csrf_random()
    # Each index is below 62, so the two numbers add byte by byte without a carry.
    sums = int.from_bytes(secret.encode().translate(_CSRF_TO_INDEX), "big") + int.from_bytes(
        mask.translate(_CSRF_TO_INDEX), "big"
    )
    cipher = sums.to_bytes(CSRF_SECRET_LENGTH, "big").translate(_CSRF_FROM_SUM)
    return (mask + cipher).decode()


def csrf_token(request) -> str:
    """This request's CSRF token (``django.middleware.csrf.get_token``), masked once per request
    and secret: every form that fills :data:`CSRF_PLACEHOLDER` in one response carries the same
    token (as the forms of one rendered template do); a rotated secret (signing in) gets a new
    one. The mask's random characters come from one call to the OS (:func:`_csrf_random`)."""
    secret = request.META.get("CSRF_COOKIE")
    memo = getattr(request, "_jishi_csrf", None)
    if memo is not None and secret is not None and memo[0] == secret:
        return memo[1]
    token = _csrf_get_token(request)
    request._jishi_csrf = (request.META.get("CSRF_COOKIE"), token)
    return token


def csrf_filled(request, content: bytes) -> bytes:
    """``content`` (a possibly cached page) with this request's CSRF token and the server clock
    put in: a pass over the page for each (a 20 KB page costs a few µs a pass, so the page is
    neither searched before it is replaced nor read back from a response in between)."""
    parts = content.split(_CSRF)
    if len(parts) > 1:
        content = csrf_token(request).encode().join(parts)
    return clock_filled(content)


def with_csrf(request, response):
    """Put this request's CSRF token and the server clock into the (possibly cached) page."""
    content = response.content
    filled = csrf_filled(request, content)
    if filled is not content:
        response.content = filled
    return response


def page_response(content: bytes) -> HttpResponse:
    """A page that differs by the visitor's cookies (``Vary: Cookie``, as ``patch_vary_headers``
    sets it on a new response)."""
    response = HttpResponse(content)
    response.headers["Vary"] = "Cookie"
    return response


def render_shared(request, template: str, context: dict) -> tuple[bytes, bool]:
    """Render ``template`` to be cached for other visitors: its forms get
    :data:`CSRF_PLACEHOLDER`. Returns the content and whether it is personal after all (something
    used this visitor's real CSRF token, which ``get_token`` flags): such a page must not be
    stored."""
    flagged = request.META.pop("CSRF_COOKIE_NEEDS_UPDATE", None)
    content = render(request, template, {**context, "csrf_token": CSRF_PLACEHOLDER}).content
    personal = bool(request.META.get("CSRF_COOKIE_NEEDS_UPDATE"))
    if flagged:
        request.META["CSRF_COOKIE_NEEDS_UPDATE"] = flagged
    return content, personal


def serve_shell(
    request, *, key: str, tags: tuple, build: Callable[[], tuple], also: dict | None = None
) -> HttpResponse | None:
    """The page under ``key`` (its shell cached under ``key + ":shell"`` with ``tags``) with this
    visitor's bits put in, or None when messages are waiting (the caller renders in full).

    ``build() -> (content, expires_at[, extra])`` renders the page as ``core.cache.cached``
    builds: with ``shell=True`` and ``csrf_token=CSRF_PLACEHOLDER`` in the template context.
    ``also`` (``{key: tags}``): entries ``build`` reads, read ahead with the shell."""
    read_ahead_shell(request, key=key, tags=tags, also=also)
    if messages_waiting(request):
        return None
    content = cached(f"{key}:shell", tags=tags, build=build)
    user_id = visitor_id(request)
    entries = slots.ahead(content, user_id=user_id)
    read_ahead({**_entries_of(user_id), **entries})  # no round trip when guessed right
    if user_id is not None:
        _remember(_session_ahead_key(request), f"{key}:shell", user_id, entries)
    account = account_links(request)
    return page_response(csrf_filled(request, content.replace(_ACCOUNT, account.encode(), 1)))
