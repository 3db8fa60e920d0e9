"""import-linter guards Python imports; templates can break the layering too. A base template
(marketplace's, core's) must not load an upper app's tag library, include or extend its
templates, reverse its URL names or spell out its URL paths (the product page once linked to
``/products/<id>/questions/`` by hand). Upper apps fill the base pages' slots instead
(core/slots.py, registered in their AppConfig.ready())."""

import re
from functools import cache
from pathlib import Path

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

from core import slots

ROOT = Path(__file__).resolve().parents[2]
UPPER = ("community", "headline", "livestream")
BASE_TEMPLATES = [ROOT / "core" / "templates", ROOT / "marketplace" / "templates"]
#: What a URL parameter looks like inside a template: a variable or a literal value.
PARAMETER = r"(?:\{\{[^}]*\}\}|[^/\"'\s<>{}]+)"


def _route_regex(route: str) -> str:
    parts = re.split(r"<[^>]+>", route)
    return PARAMETER.join(re.escape(part) for part in parts)


def _walk(patterns, prefix: str, app: str | None):
    for entry in patterns:
        route = entry.pattern._route if isinstance(entry.pattern, RoutePattern) else None
        if route is None:  # a regular-expression pattern: none in Jishi's upper apps yet
            continue
        if isinstance(entry, URLResolver):
            module = getattr(entry.urlconf_module, "__name__", "")
            owner = module.split(".")[0] if module.split(".")[0] in UPPER else app
            yield from _walk(entry.url_patterns, prefix + route, owner)
        elif isinstance(entry, URLPattern) and app in UPPER and prefix + route:
            yield app, prefix + route


@cache
def upper_url_paths() -> list[tuple[str, re.Pattern]]:
    """Every URL path of an upper app (pages and API), as a regex that finds it in a template."""
    return [
        (f"{app}: /{route}", re.compile("/" + _route_regex(route)))
        for app, route in _walk(get_resolver().url_patterns, "", None)
    ]


def offences(text: str) -> list[str]:
    """How ``text`` (a base template) names an upper app."""
    found = []
    for load in re.findall(r"{%\s*load\s+([^%]+)%}", text):
        found += [f"load {lib}" for lib in load.split() if lib.startswith(UPPER)]
    for name in re.findall(r"{%\s*(?:include|extends)\s+['\"]([^'\"]+)['\"]", text):
        if name.startswith(tuple(f"{app}/" for app in UPPER)):
            found.append(f"include {name}")
    for name in re.findall(r"{%\s*url\s+['\"]([\w-]+):", text):
        if name in UPPER:
            found.append(f"url {name}:...")
    found += [f"path {what}" for what, pattern in upper_url_paths() if pattern.search(text)]
    return found


def test_the_check_finds_each_way_of_naming_an_upper_app():
    assert upper_url_paths(), "community's URLs were not found: the path check would pass vacuously"
    bad = """{% load community_tags %}{% include "headline/_story.html" %}
        <a href="{% url 'community:questions' %}">Q&amp;A</a>
        <a href="/products/{{ product.pk }}/questions/">questions</a> <a href="/live/">live</a>"""
    found = offences(bad)
    assert "load community_tags" in found and "include headline/_story.html" in found
    assert "url community:..." in found
    assert "path community: /products/<int:product_id>/questions/" in found
    assert "path livestream: /live/" in found
    assert offences('<a href="/products/{{ product.pk }}/">{% url "marketplace:cart" %}</a>') == []


def test_base_templates_do_not_name_upper_apps():
    found = {
        f"{path.relative_to(ROOT)}: {offence}"
        for folder in BASE_TEMPLATES
        for path in folder.rglob("*.html")
        for offence in offences(path.read_text())
    }
    assert found == set()


def test_every_filled_slot_is_on_a_page():
    """A contribution to a slot no template renders (a typo, a renamed slot) would vanish quietly."""
    declared = {
        name
        for folder in (ROOT / "templates", *ROOT.glob("*/templates"))
        for path in folder.rglob("*.html")
        for name in re.findall(r"{%\s*slot\s+['\"]([\w.]+)['\"]", path.read_text())
    }
    assert {"product.beside_buy_box", "product.below_description", "shop.actions"} <= declared
    assert set(slots.registered_slots()) <= declared
