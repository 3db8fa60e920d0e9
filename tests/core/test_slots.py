"""core.slots: the registry, the {% slot %} tag, shared contributions with cache tags, and
per-request contributions filled by the middleware after every cache."""

import logging

import pytest
from django.http import HttpResponse
from django.template import Context, Template
from django.test import RequestFactory

from core import slots

SLOT = "testpage.place"


@pytest.fixture
def registered():
    """Register contributions for the test and take them out afterwards."""
    added = []

    def add(render, **options):
        slots.register(SLOT, render, **options)
        added.append(render)

    yield add
    for render in added:
        slots.unregister(SLOT, render)


def render_page(**values) -> str:
    return Template('{% load slots %}<main>{% slot "testpage.place" item=item item_id=item.pk %}</main>').render(
        Context(values)
    )


class Item:
    pk = 7
    name = "Jade ring"


def test_shared_contributions_render_in_order_with_the_slots_values(registered):
    def second(*, item, **_):
        return f"<p>second {item.name}</p>"

    def first(*, item_id, **_):
        return f"<p>first {item_id}</p>"

    registered(second, order=20)
    registered(first, order=10)
    registered(first, order=10)  # registering again replaces, it does not repeat

    assert render_page(item=Item()) == "<main><p>first 7</p><p>second Jade ring</p></main>"


def test_a_broken_contribution_renders_nothing_and_is_logged(registered, caplog):
    def broken(**_):
        raise RuntimeError("an upper app's bug")

    def fine(**_):
        return "fine"

    registered(broken, order=1)
    registered(fine, order=2)

    with caplog.at_level(logging.ERROR, logger="core.slots"):
        html = render_page(item=Item())

    assert html == "<main>fine</main>"
    assert "broken" in caplog.records[0].getMessage() and caplog.records[0].exc_info


def test_page_tags_collect_the_tags_of_the_pages_shared_contributions(registered):
    registered(lambda **_: "", tags=lambda *, item_id, **_: [f"t:{item_id}", "t:all"])
    registered(lambda **_: "x", per_request=True)

    assert slots.page_tags("testpage", item_id=7) == ("t:7", "t:all")
    assert slots.page_tags("otherpage", item_id=7) == ()


def test_a_per_request_contribution_is_filled_into_every_response_after_the_cache(registered, rf: RequestFactory):
    # given a per-request contribution, and a page rendered once (as a cache would keep it)
    def greeting(*, request, item_id, **values):
        assert "item" not in values  # objects are gone when the page comes from a cache
        return f"<b>{request.GET['who']} looks at {item_id}</b>"

    registered(greeting, per_request=True)
    cached_html = render_page(item=Item())
    assert "looks at" not in cached_html

    # when two visitors get that same HTML through the middleware
    middleware = slots.SlotMiddleware(lambda request: HttpResponse(cached_html))
    first = middleware(rf.get("/", {"who": "Wei"})).content.decode()
    second = middleware(rf.get("/", {"who": "Lili"})).content.decode()

    # then each sees their own
    assert first == "<main><b>Wei looks at 7</b></main>"
    assert second == "<main><b>Lili looks at 7</b></main>"


def test_a_marker_decoded_once_is_filled_by_the_contribution_registered_now(registered, rf):
    """Markers are decoded once per process; a registry change (a new release's contribution under
    the same name, a test's) is what decodes them again."""

    def old(*, request, item_id, **_values):
        return "old"

    def greeting(*, request, item_id, **_values):
        return f"new {item_id}"

    registered(old, per_request=True)
    cached_html = render_page(item=Item())
    middleware = slots.SlotMiddleware(lambda request: HttpResponse(cached_html))
    assert middleware(rf.get("/")).content.decode() == "<main>old</main>"
    assert middleware(rf.get("/")).content.decode() == "<main>old</main>"  # from the decoded marker

    # when the contribution is replaced by one of the same name
    slots.unregister(SLOT, old)
    greeting.__qualname__ = old.__qualname__  # the same name: what a marker names
    registered(greeting, per_request=True)

    # then the same cached page is filled by the new one
    assert middleware(rf.get("/")).content.decode() == "<main>new 7</main>"


def test_the_middleware_leaves_other_responses_alone(registered, rf):
    registered(lambda *, request, **_: "filled", per_request=True)
    marker = render_page(item=Item())
    as_json = slots.SlotMiddleware(lambda request: HttpResponse(marker, content_type="application/json"))
    assert as_json(rf.get("/")).content.decode() == marker
    unknown = slots.SlotMiddleware(lambda request: HttpResponse("<p><!--jishi-slot:bm9wZQ==--></p>"))
    assert unknown(rf.get("/")).content == b"<p></p>"


def test_slot_names_and_options_are_checked():
    with pytest.raises(ValueError):
        slots.register("Product page", lambda **_: "")
    with pytest.raises(ValueError):
        slots.register("product.sidebar", lambda **_: "", per_request=True, tags=lambda **_: ["t"])


def test_an_anonymous_rendering_goes_into_the_cached_page_with_its_tags_and_expiry(registered, rf):
    # given a per-request contribution that is the same for every anonymous visitor
    def box(*, request, item_id, **_):
        return f"<b>yours {item_id}</b>"

    def box_anonymous(*, item_id, **_):
        return f'<a href="/login/?next={slots.NEXT_PLACEHOLDER}">log in for {item_id}</a>', 2_000_000_000.0

    registered(box, per_request=True, anonymous=box_anonymous, tags=lambda *, item_id, **_: [f"t:box:{item_id}"])
    cached_html = render_page(item=Item()).encode()

    # when the page is cached whole for anonymous visitors
    content, expires_at, extra = slots.prerender(cached_html)

    # then the anonymous rendering is in it, with its expiry and its tag's current token
    assert content == b'<main><a href="/login/?next=__JISHI_NEXT__">log in for 7</a></main>'
    assert expires_at == 2_000_000_000.0
    assert set(extra) == {"t:box:7"} and extra["t:box:7"]
    # and each response gets its own path in the link, while the marker page stays per visitor
    middleware = slots.SlotMiddleware(lambda request: HttpResponse(content))
    assert b'next=/items/7/%3Fq%3Djade"' in middleware(rf.get("/items/7/", {"q": "jade"})).content
    per_visitor = slots.SlotMiddleware(lambda request: HttpResponse(cached_html))
    assert per_visitor(rf.get("/")).content == b"<main><b>yours 7</b></main>"
    # and its tags are not the page's own (they take the slot's values, found when rendering)
    assert slots.page_tags("testpage", item_id=7) == ()


def test_a_broken_anonymous_rendering_is_left_to_the_middleware(registered, rf, caplog):
    def box(*, request, **_):
        return "<b>per request</b>"

    def broken(**_):
        raise RuntimeError("bug")

    registered(box, per_request=True, anonymous=broken)
    with caplog.at_level(logging.ERROR, logger="core.slots"):
        content, expires_at, extra = slots.prerender(render_page(item=Item()).encode())

    assert b"<!--jishi-slot:" in content and expires_at is None and extra == {}
    assert caplog.records and caplog.records[0].exc_info
    middleware = slots.SlotMiddleware(lambda request: HttpResponse(content))
    assert middleware(rf.get("/")).content == b"<main><b>per request</b></main>"


def test_only_a_per_request_contribution_has_an_anonymous_rendering():
    with pytest.raises(ValueError):
        slots.register("product.sidebar", lambda **_: "", anonymous=lambda **_: ("", None))


def test_markers_are_filled_wherever_they_are_among_text_that_looks_like_one(registered, rf):
    # given a page with two markers, text that starts like a marker before, between and after
    def greeting(*, request, item_id, **values):
        return f"<b>{item_id}</b>"

    registered(greeting, per_request=True)
    marker = render_page(item=Item()).removeprefix("<main>").removesuffix("</main>")
    html = f"<!--jishi-slot:{marker}<!--jishi-slot:x y-->{marker}<!--jishi-slot:"
    middleware = slots.SlotMiddleware(lambda request: HttpResponse(html))
    # when it goes through the middleware
    filled = middleware(rf.get("/")).content.decode()
    # then both markers are filled and the look-alikes stay as they were
    assert filled == "<!--jishi-slot:<b>7</b><!--jishi-slot:x y--><b>7</b><!--jishi-slot:"
