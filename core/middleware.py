"""Request guards that hold for every URL, page or API (issue 13: no 500 from any input).

* :class:`InputGuardMiddleware` refuses, before any view, session or token lookup runs, input
  that no view can take: a NUL character (PostgreSQL cannot store one in text, so it would fail
  as a 500 deep in a query) in the path, a query parameter, a cookie, a header or a form field;
  a malformed multipart body; and, once the URL is resolved, an integer path segment beyond a
  64-bit id (no row has it). Pages get the 400/404 page, the API the one JSON error body.
* :class:`ConflictMiddleware` answers a page whose write lost a unique or foreign-key race that
  no service turned into its own refusal (``IntegrityError``) with 409 — the safety net; races
  users can cause are refused by the services themselves (tests/*/test_races.py). The API's
  handler does the same (``core.api.exception_handler``).
* :class:`ApiErrorMiddleware` keeps the API's promise that every error under ``/api/`` is JSON:
  whatever answered with an error that is not JSON (Django's 404 for an unknown URL or id shape,
  its 400 for an oversized or malformed body, the 500 page) is replaced by
  :func:`core.api.error_body` with the same status.

Two of Django's middleware, doing less per request for the same answers:

* :class:`MessageMiddleware`: the messages storage is made when a request first adds or reads a
  message, not for every request (building its cookie signer and two backends cost ~30 µs);
  a request that never touched it has nothing to store, as before.
* :class:`LocaleMiddleware`: on a site whose URLs carry no language prefix (no
  ``i18n_patterns``; Django's otherwise), the language chosen for a language cookie and
  ``Accept-Language`` header is remembered per process instead of worked out on every request,
  and the URL is not matched against the languages twice.

The JSON bodies themselves are checked by the API's parsers (``core.parsers.JSONParser``: depth,
NUL, unpaired surrogates); :mod:`config.urls` sets the error handlers (413 for an oversized
body).
"""

import logging
from functools import lru_cache
from types import SimpleNamespace

from django.conf import settings
from django.conf.urls.i18n import is_language_prefix_patterns_used
from django.contrib import messages
from django.contrib.messages.middleware import MessageMiddleware as DjangoMessageMiddleware
from django.contrib.messages.storage import default_storage
from django.core.exceptions import RequestDataTooBig
from django.core.signals import setting_changed
from django.db import IntegrityError
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.functional import SimpleLazyObject, empty
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.api import conflict_message, error_body
from core.errors import CoreErrorCode
from core.ids import MAX_ID

logger = logging.getLogger(__name__)


API_PREFIX = "/api/"

#: The ``error.code`` an API error without a more specific code carries, by HTTP status.
STATUS_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    411: "length_required",
    413: "request_too_large",
    415: "unsupported_media_type",
    429: "throttled",
}


def is_api(request) -> bool:
    return request.path_info.startswith(API_PREFIX)


#: Translated only when a request has a NUL (every request passes the guard).
_NUL_MESSAGE = gettext_lazy("The request contains a NUL character, which is not allowed anywhere.")
_CHUNKED_MESSAGE = gettext_lazy(
    "Send the request body with a Content-Length header; chunked bodies (Transfer-Encoding) are not accepted."
)


def _has_nul(values) -> bool:
    return any("\x00" in value for value in values)


def _query_may_have_nul(query_string: str) -> bool:
    """Whether the query string can decode to a NUL: only with a NUL or a ``%00`` in it (a ``+``
    is a space, and a NUL in UTF-8 is only the byte 0). Without either it is not parsed here (a
    view that reads ``request.GET`` parses it then, once)."""
    return "\x00" in query_string or "%00" in query_string


def _query_has_nul(query) -> bool:
    return any("\x00" in key or _has_nul(query.getlist(key)) for key in query)


def status_message(status: int) -> str:
    """A short, translated message for an error status that carries no message of its own."""
    messages = {
        400: _("The request is malformed."),
        403: _("You do not have permission to do this."),
        404: _("Not found."),
        405: _("This method is not allowed here."),
        413: _("The request body is too large."),
        500: _("Something went wrong on our side; it has been logged. Please try again in a moment."),
    }
    return messages.get(status, _("The request could not be served."))


def error_response(request, *, status: int, message: str, code: str | None = None):
    """The error answer for ``request``: the JSON body under ``/api/``, else the error page."""
    code = code or STATUS_CODES.get(status, "error" if status < 500 else "server_error")
    if is_api(request):
        return JsonResponse(error_body(code=code, message=message), status=status)
    template = "404.html" if status == 404 else "400.html"
    return HttpResponse(render_to_string(template, {"message": message}, request=request), status=status)


class InputGuardMiddleware:
    """Refuse input no view can take (see the module docstring). Sits before the session and
    authentication middleware, which would otherwise look a NUL-bearing cookie or token up."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        status, problem = 400, self._problem(request)
        if problem is None and "HTTP_TRANSFER_ENCODING" in request.META and not request.META.get("CONTENT_LENGTH"):
            # Django reads a body by its Content-Length only: a chunked body would be read as
            # empty and the request served without it (a checkout with none of its choices).
            status, problem = 411, _CHUNKED_MESSAGE
        if problem:
            with translation.override(translation.get_language_from_request(request)):
                return error_response(request, status=status, message=str(problem))
        return self.get_response(request)

    def _problem(self, request):
        """The (lazy) message of what is wrong with ``request``, or None."""
        nul = _NUL_MESSAGE  # translated in the visitor's language by __call__
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path_info or (_query_may_have_nul(query) and _query_has_nul(request.GET)):
            return nul
        if _has_nul(request.COOKIES.values()) or _has_nul(
            str(value) for key, value in request.META.items() if key.startswith("HTTP_")
        ):
            return nul
        if request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            try:
                if _query_has_nul(request.POST):
                    return nul
            except MultiPartParserError:
                return gettext_lazy("The form body is malformed.")
            except RequestDataTooBig:
                raise  # the 400 handler answers 413 (config/urls.py)
        return None

    def process_view(self, request, view_func, view_args, view_kwargs):
        for value in (*view_args, *view_kwargs.values()):
            if isinstance(value, int) and not -MAX_ID <= value <= MAX_ID:
                return error_response(request, status=404, message=status_message(404))
        return None


class ApiErrorMiddleware:
    """Every error answer under ``/api/`` is the JSON error body (see the module docstring).
    First in ``MIDDLEWARE``, so it also sees what other middleware and Django's handlers answer."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code < 400 or not is_api(request):
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        replaced = error_response(request, status=response.status_code, message=status_message(response.status_code))
        for header in ("Retry-After", "WWW-Authenticate", "Allow", "Vary"):
            if header in response:
                replaced[header] = response[header]
        return replaced


class ConflictMiddleware:
    """A page write that lost a constraint race (see the module docstring): a POST goes back
    where it came from with the message, anything else gets the 409 page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, IntegrityError) or is_api(request):
            return None
        logger.warning("Unhandled constraint race answered 409: %s", exception)
        referer = request.META.get("HTTP_REFERER", "")
        if request.method == "POST" and url_has_allowed_host_and_scheme(
            referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            messages.error(request, conflict_message())
            return HttpResponseRedirect(referer)
        return error_response(request, status=409, message=conflict_message(), code=CoreErrorCode.CONFLICT)


class MessageMiddleware(DjangoMessageMiddleware):
    """Django's, with the storage made on first use (see the module docstring)."""

    def process_request(self, request):
        request._messages = SimpleLazyObject(lambda: default_storage(request))

    def process_response(self, request, response):
        stored = getattr(request, "_messages", None)
        if isinstance(stored, SimpleLazyObject) and stored._wrapped is empty:
            return response  # no message added or read: nothing to store
        return super().process_response(request, response)


@lru_cache(maxsize=512)
def _language_for(cookie: str | None, accept: str) -> str:
    """Django's ``get_language_from_request`` for a language cookie and ``Accept-Language``."""
    request = SimpleNamespace(
        COOKIES={} if cookie is None else {settings.LANGUAGE_COOKIE_NAME: cookie},
        META={"HTTP_ACCEPT_LANGUAGE": accept},
    )
    return translation.get_language_from_request(request, check_path=False)


def _languages_changed(*, setting, **kwargs):
    if setting in {"LANGUAGES", "LANGUAGE_CODE", "LANGUAGE_COOKIE_NAME", "LOCALE_PATHS"}:
        _language_for.cache_clear()


setting_changed.connect(_languages_changed, dispatch_uid="core.middleware.languages_changed")


class LocaleMiddleware(DjangoLocaleMiddleware):
    """Django's, without the per-request work a site without language prefixes in its URLs does
    not need (see the module docstring): the language of the cookie, else ``Accept-Language``,
    else ``LANGUAGE_CODE``, activated; ``Vary: Accept-Language`` and ``Content-Language`` on
    every response."""

    @staticmethod
    def _prefixed(request) -> bool:
        return is_language_prefix_patterns_used(getattr(request, "urlconf", settings.ROOT_URLCONF))[0]

    def process_request(self, request):
        if self._prefixed(request):
            return super().process_request(request)
        language = _language_for(
            request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME), request.META.get("HTTP_ACCEPT_LANGUAGE", "")
        )
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        return None

    def process_response(self, request, response):
        if self._prefixed(request):
            return super().process_response(request, response)
        patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response
