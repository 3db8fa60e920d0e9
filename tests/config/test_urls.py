"""The URL table: the API is resolved before the site's pages (config/urls.py), which is only
the same as resolving it after them while no page route can match a path under ``api/``."""

from django.urls import URLPattern, URLResolver, get_resolver, resolve

from marketplace.api.orders import CheckoutView


def _routes(patterns, prefix=""):
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, route)
        else:
            yield route, entry


def test_no_page_route_can_match_a_path_under_api():
    pages = [e for e in get_resolver().url_patterns if not str(e.pattern).startswith("api/")]
    routes = list(_routes(pages))
    assert len(routes) > 100
    for route, entry in routes:
        assert isinstance(entry, URLPattern)
        if route == "":
            continue  # the home page: exactly "/"
        # A literal first segment, never a converter or a pattern, and not "api". (A regular
        # expression route, such as the media files' ``^media/(?P<path>.*)$`` that
        # ``django.conf.urls.static`` adds when the URL table was first loaded with DEBUG on,
        # counts by what follows its ``^``.)
        first = route.removeprefix("^").split("/", 1)[0]
        assert first and first[0] not in "<^([.\\" and first != "api", route


def test_api_routes_resolve_to_the_api():
    assert resolve("/api/v1/checkout/").func.view_class is CheckoutView
    assert resolve("/ping").url_name == "ping"
    assert resolve("/").url_name == "home"
