"""Page slots: named places in a page that another app fills, so a lower app's template never
names an upper app (docs/architecture.md, "Page slots").

A page declares a slot where it renders it::

    {% load slots %}{% slot "product.below_description" product=product product_id=product.pk %}

and the app that fills it registers a contribution in its ``AppConfig.ready()``::

    from core import slots
    slots.register("product.below_description", qa_summary, order=20, tags=qa_product_tags)

Slot names are ``<page>.<place>``. The pages document the values each slot passes; the table in
docs/architecture.md lists them all. Several apps may fill one slot: contributions render in
``order`` (then by name). A contribution that raises is logged (logger ``core.slots``, with the
traceback) and renders nothing: an upper app's bug never takes a base page down.

Two kinds of contribution, because pages are cached (docs/marketplace-catalogue.md):

* **Shared** (the default): the same for every visitor. It is rendered into the page and cached
  with it. ``render(**values)`` gets the slot's values and never the visitor. When its content
  can change by itself (a question answered, a room going live, a vote closing), it names the
  cache tags it depends on — ``tags(**page_keys) -> [tag, ...]`` — and its owner bumps them on
  commit (``core.cache.bump_on_commit``). A cached page adds :func:`page_tags` of its slots to its
  own tags, so a bump makes the next request re-render the page: nothing is frozen for longer
  than the owner wants, and a cache hit still costs one round trip.
* **Per request** (``per_request=True``): per visitor (a follow button) or to the second. The
  slot leaves a marker in the HTML, and :class:`SlotMiddleware` renders the contribution into
  every response, after every cache — also into a page served whole from the anonymous cache.
  ``render(*, request, **plain_values)`` gets the request and only the slot's plain values
  (``str``, ``int``, ``float``, ``bool``, ``None``: ids, slugs, names), because the objects are
  gone when the page comes from the cache. It runs on every request: keep it to no query for
  anonymous visitors and one or two for signed-in ones.

  **The same for every anonymous visitor** (``anonymous=`` and ``tags=``): most per-request
  contributions differ only for signed-in visitors (claimed vouchers, a follow form) or depend on
  data that the page's own tags do not cover (other products of the shop). Such a contribution
  also gives ``anonymous(**plain_values) -> (html, expires_at)``, what a visitor without a
  session sees, and ``tags(**plain_values) -> [tag, ...]``, the cache tags that rendering depends
  on. A page cached whole for anonymous visitors then renders it in once (:func:`prerender`):
  the tags' tokens are read first (``core.cache.tag_versions``) and stored with the page as its
  *extra* tags, and the page's expiry is the earliest of its own and the contributions'. A bump
  of any of those tags re-renders the page on the next anonymous request, so nothing is staler
  than the per-request rendering was, and a pristine page served from the cache costs ONE cache
  round trip, no query and no template. Where the HTML needs the request's path (a "log in"
  link's ``next``), it writes :data:`NEXT_PLACEHOLDER`; :class:`SlotMiddleware` replaces it per
  response by the URL-quoted full path. The ``render`` of such a contribution should give
  anonymous visitors (with a session cookie, or on a page not cached whole) the same HTML, e.g.
  by returning ``anonymous(...)[0]``.

  **The same for everyone** (``everyone=True``, with ``anonymous=``): the anonymous rendering is
  also what every signed-in visitor sees (other products of the shop). The cached shell of a page
  for signed-in visitors (``core/pages.py``) then has it rendered in too (``prerender(...,
  everyone_only=True)``), with its tags, instead of rendering it per request.

  **Read ahead** (``ahead=``): a per-request contribution that reads a cache entry of its own per
  signed-in visitor (their voucher box) names it — ``ahead(user_id=..., **plain_values) -> {key:
  tags}`` — and a cached shell reads it in the same round trip as the visitor's user
  (:func:`ahead`, ``core.cache.read_ahead``).
"""

import base64
import binascii
import functools
import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import quote

from django.utils.safestring import SafeString, mark_safe

from core.cache import tag_versions

logger = logging.getLogger(__name__)

SLOT_NAME = re.compile(r"^[a-z][a-z_]*\.[a-z][a-z_]*$")
_MARKER = re.compile(rb"<!--jishi-slot:([A-Za-z0-9_=-]+)-->")
_MARKER_START = b"<!--jishi-slot:"
_PLAIN = (str, int, float, bool, type(None))
#: Stands for the request's URL-quoted full path in an anonymous rendering (a "log in" link's
#: ``next``); :class:`SlotMiddleware` replaces it in every HTML response.
NEXT_PLACEHOLDER = "__JISHI_NEXT__"
_NEXT = NEXT_PLACEHOLDER.encode()


@dataclass(frozen=True)
class Contribution:
    """What one app renders into one slot."""

    slot: str
    render: Callable[..., str]
    order: int = 100
    tags: Callable[..., Iterable[str]] | None = None
    per_request: bool = False
    anonymous: Callable[..., tuple[str, float | None]] | None = None
    everyone: bool = False
    ahead: Callable[..., dict[str, Iterable[str]]] | None = None

    @property
    def name(self) -> str:
        return f"{self.render.__module__}.{self.render.__qualname__}"


_registry: dict[str, list[Contribution]] = {}


def register(
    slot: str,
    render: Callable[..., str],
    *,
    order: int = 100,
    tags: Callable[..., Iterable[str]] | None = None,
    per_request: bool = False,
    anonymous: Callable[..., tuple[str, float | None]] | None = None,
    everyone: bool = False,
    ahead: Callable[..., dict[str, Iterable[str]]] | None = None,
) -> Contribution:
    """Fill ``slot`` with ``render`` (call from ``AppConfig.ready()``; registering the same
    function again replaces it). See the module docstring for the kinds; a per-request
    contribution takes ``tags`` only with ``anonymous`` (they are that rendering's tags).
    ``ahead(user_id=..., **plain_values)`` of a per-request contribution names the cache entries
    (``{key: tags}``) its rendering for that signed-in visitor (None: no user) will read, so a
    cached page reads them ahead in one round trip (:func:`ahead`)."""
    if not SLOT_NAME.match(slot):
        raise ValueError(f"A slot is named <page>.<place> in lower case, not {slot!r}")
    if anonymous is not None and not per_request:
        raise ValueError("Only a per-request contribution has a separate anonymous rendering")
    if per_request and tags is not None and anonymous is None:
        raise ValueError("A per-request contribution is never cached: it takes no cache tags")
    if everyone and anonymous is None:
        raise ValueError("Only a contribution with an anonymous rendering can be the same for everyone")
    if ahead is not None and not per_request:
        raise ValueError("Only a per-request contribution reads ahead (a shared one is cached with its page)")
    contribution = Contribution(
        slot=slot,
        render=render,
        order=order,
        tags=tags,
        per_request=per_request,
        anonymous=anonymous,
        everyone=everyone,
        ahead=ahead,
    )
    unregister(slot, render)
    _registry.setdefault(slot, []).append(contribution)
    _registry[slot].sort(key=lambda c: (c.order, c.name))
    _decode_marker.cache_clear()
    return contribution


def register_everyone(
    slot: str,
    build: Callable[..., tuple[str, float | None]],
    *,
    order: int = 100,
    tags: Callable[..., Iterable[str]] | None = None,
) -> Contribution:
    """Fill ``slot`` with a section that is the same for every visitor and is cached with the
    page's shell: ``build(**plain_values) -> (html, expires_at)`` runs when the shell is built,
    after ``tags(**plain_values)`` were read, and the shell is rebuilt when one of them is bumped
    or ``expires_at`` passes. (A per-request contribution with ``anonymous=build`` and
    ``everyone=True``; rendered per request only where a page is not cached.)"""

    def render(*, request, **values) -> str:
        return build(**values)[0]

    render.__module__, render.__qualname__ = build.__module__, f"{build.__qualname__}.render"
    unregister(slot, build)
    return register(slot, render, order=order, tags=tags, per_request=True, anonymous=build, everyone=True)


def unregister(slot: str, render: Callable[..., str]) -> None:
    """Take ``render`` out of ``slot`` (tests; an app switched off)."""
    _registry[slot] = [c for c in _registry.get(slot, []) if c.render is not render and c.anonymous is not render]
    _decode_marker.cache_clear()


def contributions(slot: str) -> list[Contribution]:
    return list(_registry.get(slot, ()))


def registered_slots() -> list[str]:
    """Every slot that has a contribution (the layering test checks each is on a page)."""
    return sorted(slot for slot, filled in _registry.items() if filled)


def page_tags(page: str, **keys) -> tuple[str, ...]:
    """The cache tags that the shared contributions to the slots of ``page`` (every slot named
    ``<page>.*``) depend on, for this page's ``keys`` (e.g. ``product_id=7``). A view that caches
    the page adds them to the page's own tags. (Per-request contributions' tags are found when
    the page is rendered: :func:`prerender`.)"""
    prefix = f"{page}."
    found: list[str] = []
    for slot, filled in _registry.items():
        if slot.startswith(prefix):
            for contribution in filled:
                if contribution.tags is not None and not contribution.per_request:
                    found.extend(tag for tag in contribution.tags(**keys) if tag not in found)
    return tuple(found)


def _call(contribution: Contribution, **kwargs) -> str:
    try:
        return str(contribution.render(**kwargs) or "")
    except Exception:  # noqa: BLE001 - one app's broken slot must not take the page down
        logger.exception("Slot contribution %s to %s failed; it renders nothing", contribution.name, contribution.slot)
        return ""


def _marker(contribution: Contribution, values: dict) -> str:
    plain = {key: value for key, value in values.items() if isinstance(value, _PLAIN)}
    payload = json.dumps({"s": contribution.slot, "c": contribution.name, "v": plain}, separators=(",", ":"))
    return f"<!--jishi-slot:{base64.urlsafe_b64encode(payload.encode()).decode()}-->"


def render_slot(slot: str, values: dict) -> SafeString:
    """The HTML of ``slot``: shared contributions rendered now with ``values``, per-request ones
    as markers that :class:`SlotMiddleware` fills."""
    parts = [
        _marker(contribution, values) if contribution.per_request else _call(contribution, **values)
        for contribution in _registry.get(slot, ())
    ]
    return mark_safe("".join(parts))


def _decode(match: re.Match) -> tuple[Contribution, dict] | None:
    found = _decode_marker(match.group(1))
    return None if found is None else (found[0], dict(found[1]))


@functools.lru_cache(maxsize=4096)
def _decode_marker(raw: bytes) -> tuple[Contribution, tuple] | None:
    """A marker's contribution and values, decoded once per process (a page's markers are read
    ahead, then filled: twice a request, the same few markers on every request)."""
    try:
        data = json.loads(base64.urlsafe_b64decode(raw))
        contribution = next(c for c in _registry.get(data["s"], ()) if c.per_request and c.name == data["c"])
        return contribution, tuple(dict(data["v"]).items())
    except (binascii.Error, ValueError, KeyError, TypeError, StopIteration):
        return None


def _markers(content: bytes) -> Iterator[re.Match]:
    """The slot markers in ``content``, in order, as ``_MARKER.finditer`` finds them: each found
    by ``bytes.find`` of its start and matched there (a regex search over a 20 KB page costs
    ~12 µs, these finds ~3 µs)."""
    at = content.find(_MARKER_START)
    while at != -1:
        match = _MARKER.match(content, at)
        at = content.find(_MARKER_START, match.end() if match else at + 1)
        if match:
            yield match


def ahead(content: bytes, *, user_id) -> dict[str, tuple[str, ...]]:
    """The cache entries (``{key: tags}``) that filling the per-request markers in ``content`` for
    the visitor ``user_id`` (as the session holds it; None if nobody is signed in) will read, as
    their contributions' ``ahead`` name them (``core.cache.read_ahead``)."""
    if _MARKER_START not in content:
        return {}
    entries: dict[str, tuple[str, ...]] = {}
    for decoded in map(_decode, _markers(content)):
        if decoded is not None and decoded[0].ahead is not None:
            contribution, values = decoded
            entries.update({key: tuple(tags) for key, tags in contribution.ahead(user_id=user_id, **values).items()})
    return entries


def fill(content: bytes, request) -> bytes:
    """Render the per-request contributions whose markers are in ``content`` for ``request``."""

    def replace(match: re.Match) -> bytes:
        decoded = _decode(match)
        if decoded is None:
            logger.warning("Dropped an unknown page-slot marker")
            return b""
        contribution, values = decoded
        return _call(contribution, request=request, **values).encode()

    parts, done = [], 0
    for match in _markers(content):
        parts += [content[done : match.start()], replace(match)]
        done = match.end()
    if not parts:
        return content
    parts.append(content[done:])
    return b"".join(parts)


def prerender(content: bytes, *, everyone_only: bool = False) -> tuple[bytes, float | None, dict[str, str | None]]:
    """For a page cached whole for anonymous visitors: render into ``content`` the per-request
    contributions that have an ``anonymous`` rendering (with ``everyone_only``, for a page
    shell cached for every visitor: only those that are the same for everyone). Returns the new content, the earliest
    expiry of those renderings (or None) and the ``{tag: token}`` of their tags, read before
    rendering (``core.cache.cached``'s ``extra``). Other markers stay for the middleware, and so
    does the marker of a rendering that raised (logged; the page is still cached)."""
    if _MARKER_START not in content:
        return content, None, {}

    def wanted(contribution: Contribution) -> bool:
        return contribution.anonymous is not None and (contribution.everyone or not everyone_only)

    found = [d for d in map(_decode, _MARKER.finditer(content)) if d and wanted(d[0])]
    if not found:
        return content, None, {}
    tags: list[str] = []
    for contribution, values in found:
        if contribution.tags is not None:
            tags.extend(contribution.tags(**values))
    extra = tag_versions(tags)
    expiries: list[float] = []

    def replace(match: re.Match) -> bytes:
        decoded = _decode(match)
        if decoded is None or not wanted(decoded[0]):
            return match.group(0)
        contribution, values = decoded
        try:
            html, expires_at = contribution.anonymous(**values)
        except Exception:  # noqa: BLE001 - as _call: rendered per request instead (and logged there)
            logger.exception("Anonymous rendering of %s to %s failed", contribution.name, contribution.slot)
            return match.group(0)
        if expires_at is not None:
            expiries.append(expires_at)
        return str(html or "").encode()

    content = _MARKER.sub(replace, content)
    return content, min(expiries, default=None), extra


class SlotMiddleware:
    """Fills per-request slot markers and :data:`NEXT_PLACEHOLDER` in every HTML response. Put
    it last in ``MIDDLEWARE`` (the innermost), so CSRF, sessions and ``Content-Length`` see the
    filled page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.streaming or not response.get("Content-Type", "").startswith("text/html"):
            return response
        content = original = response.content
        if _MARKER_START in content:
            content = fill(content, request)
        if _NEXT in content:
            content = content.replace(_NEXT, quote(request.get_full_path()).encode())
        if content is not original:
            response.content = content
        return response
