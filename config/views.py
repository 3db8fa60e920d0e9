from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.translation import get_language
from django.views.defaults import page_not_found
from django.views.defaults import server_error as django_server_error

from core import pages, slots
from core.cache import clock_fill
from core.middleware import error_response, is_api, status_message


def home(request):
    """The front page: each area contributes a section (``home.sections``), the same for
    everyone. The page is served from its cached shell (``core/pages.py``) with the visitor's
    account links, token and the clock put in; the sections are rendered into the shell with
    their tags and expiries (``core.slots.register_everyone``). With messages waiting it is
    rendered in full."""

    def build():
        content, personal = pages.render_shared(request, "home.html", {"shell": True})
        if personal:
            return content, 0
        return slots.prerender(content, everyone_only=True)

    response = pages.serve_shell(request, key=f"page:home:{get_language()}", tags=(), build=build)
    return response if response is not None else clock_fill(render(request, "home.html"))


def ping(request):
    """The minimal view: a plain HttpResponse, no database or session. Benchmarks measure
    every page against it; load balancers may use it as a liveness probe."""
    return HttpResponse("pong", content_type="text/plain")


def bad_request(request, exception):
    """``handler400``: 413 for a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (or too many fields),
    else 400; JSON under /api/."""
    if isinstance(exception, RequestDataTooBig | TooManyFieldsSent | TooManyFilesSent):
        return error_response(request, status=413, message=status_message(413))
    return error_response(request, status=400, message=status_message(400))


def not_found(request, exception):
    """``handler404``: the JSON error body under /api/ (an unknown URL or id shape), else the page."""
    if is_api(request):
        return error_response(request, status=404, message=status_message(404))
    return page_not_found(request, exception)


def server_error(request):
    """``handler500``: the JSON error body under /api/, else the static 500 page."""
    if is_api(request):
        return error_response(request, status=500, message=status_message(500))
    return django_server_error(request)


def favicon(request):
    """``/favicon.ico``, where browsers and crawlers look first: the static icon (pages name it in
    ``<link rel="icon">``), so the log has no 404 for it."""
    response = redirect(static("favicon.ico"))
    response["Cache-Control"] = "public, max-age=86400"
    return response
