"""The header's account links (``templates/_account_nav.html``) for pages served from a cached
shell (``core/pages.py``, installed in ``CommunityConfig.ready``): community owns the person and
the inbox badge they show.

Rendering the template through a ``RequestContext`` (every context processor) cost more than the
rest of a cached signed-in page, so it is rendered with only what it shows and remembered per
process by exactly those values (language, whether the page is the cart, and the person's id,
username, name and unread count): a pure function of its key, so never stale. The CSRF token
stays ``core.pages.CSRF_PLACEHOLDER``, which the shell fills per request."""

import threading

from django.template.loader import render_to_string
from django.utils.translation import get_language

from community.selectors.notifications import notification_unread_count
from core.pages import CSRF_PLACEHOLDER

#: Renderings remembered per process (first in, first out).
REMEMBERED = 20_000
_memo: dict[tuple, str] = {}
_lock = threading.Lock()


def account_links(request) -> str:
    """The account links for ``request``'s visitor, with the CSRF placeholder."""
    user = request.user
    match = request.resolver_match
    on_cart = bool(match and match.url_name == "cart")
    unread = 0
    if user.is_authenticated:
        unread = notification_unread_count(user=user)
        key = (get_language(), on_cart, user.pk, user.get_username(), user.public_name, unread)
    else:
        key = (get_language(), on_cart)
    html = _memo.get(key)
    if html is None:
        context = {
            "user": user,
            "unread_notification_count": unread,
            "csrf_token": CSRF_PLACEHOLDER,
            "request": {"resolver_match": {"url_name": "cart" if on_cart else ""}},
        }
        html = render_to_string("_account_nav.html", context)
        with _lock:
            _memo[key] = html
            while len(_memo) > REMEMBERED:
                del _memo[next(iter(_memo))]
    return html
