"""API plumbing shared by every app's api.py: the one JSON error body, the DRF exception handler
that renders every API error with it, pagination, reading ahead (:class:`ReadAheadMixin`) and
answering before DRF builds its request (:class:`EarlyAnswerMixin`).
``config.settings`` wires the first three into ``REST_FRAMEWORK``; anything else that answers an
API error by hand (a stored Idempotency-Key replay, a service that records its refusal) builds the
body with :func:`error_body`.

The body is ``{"error": {"code": str, "message": str, "fields"?: {field: [messages]}, ...extra}}``
(docs/api.md). The API's parsers (a depth limit, no NUL characters) are in ``core.parsers``."""

import logging
from functools import lru_cache
from types import SimpleNamespace
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404, HttpResponse
from django.utils.cache import cc_delim_re, patch_vary_headers
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.pagination import PageNumberPagination
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from core.cache import counter_incr, read_ahead
from core.errors import ApplicationError, CoreErrorCode

logger = logging.getLogger(__name__)


class Pagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


class ReadAheadMixin:
    """For an API view whose answers come from the cache: before DRF authenticates the request,
    read ahead in ONE round trip (``core.cache.read_ahead``) the versioned entries the request
    is about to read — its authenticators' (an authentication class may define
    ``ahead_entries(request) -> {key: tags}``: the API token's person,
    ``community.authentication``) and the view's own (:meth:`ahead_entries`). A cached answer
    with a token is then one round trip for both, plus the throttle's counter."""

    def ahead_entries(self, request) -> dict:
        """The view's ``{cache key: tags}`` for this request (none by default)."""
        return {}

    def read_ahead(self, request, authenticators, *, counters=()) -> list | None:
        """Read this request's entries ahead, incrementing ``counters`` (``(key, ttl)``) in the
        same round trip: their counts (``core.cache.read_ahead``)."""
        entries = dict(self.ahead_entries(request))
        for authenticator in authenticators:
            hook = getattr(authenticator, "ahead_entries", None)
            if hook is not None:
                entries.update(hook(request))
        if entries or counters:
            return read_ahead(entries, counters=list(counters))
        return None

    def initial(self, request, *args, **kwargs):
        self.read_ahead(request, request.authenticators)
        super().initial(request, *args, **kwargs)


#: What a request may accept for DRF's content negotiation to choose a view's first renderer
#: when that is JSON (no header: ``*/*``).
_JSON_ACCEPTS = frozenset(("*/*", "application/json"))


class EarlyAnswerMixin:
    """For an API view that can answer some requests without DRF's request machinery (its
    ``Request``, content negotiation, the renderer): ``dispatch`` asks :meth:`answer_early`
    first, and DRF runs as always when it returns None. The sale day's sold-out checkout
    (``marketplace/api/orders.py``) and the cached product list with a token
    (``marketplace/api/catalogue.py``) answer this way.

    An early answer must be the one the whole way would give, so :meth:`early_caller` answers
    only a request that DRF would treat as the early path assumes — content negotiation would
    choose JSON (a first renderer that is JSON, an ``Accept`` of ``*/*`` or
    ``application/json``, no format override), the view's first authenticator is token
    authentication and accepts the request's token, every permission allows it — and gives
    None otherwise (the whole way then answers, e.g. 401 or 406). The view's throttles count an
    early request as DRF's ``check_throttles`` would (:meth:`early_throttled`); a throttled one
    is answered 429 by the whole way from those counts, not counted twice. :meth:`early_response`
    sends a body with DRF's default response headers (``Allow``, ``Vary: Accept``)."""

    #: The throttles' waits of a request counted early (empty: not throttled; see check_throttles).
    _early_throttle_waits: list | None = None

    def dispatch(self, request, *args, **kwargs):
        early = self.answer_early(request, *args, **kwargs)
        return early if early is not None else super().dispatch(request, *args, **kwargs)

    def answer_early(self, request, *args, **kwargs) -> HttpResponse | None:
        """The answer to ``request`` (Django's ``HttpRequest``) before DRF, or None."""
        return None

    def early_caller(self, request, kwargs: dict) -> SimpleNamespace | None:
        """The token-authenticated caller of ``request`` (``user``, ``auth``, ``method``,
        ``META``: what permissions and throttles read) when the request may be answered early
        (see the class docstring), else None. Reads ahead first (:class:`ReadAheadMixin`); when
        the authenticator guesses whose token it is (``ahead_user_id(request)``, the person this
        process last accepted it for) and every throttle names its counter (``window_counter``,
        ``core.throttles``), the throttles are counted for that person in the same round trip.
        Once the token is read: a right guess is the request's count (:meth:`early_throttled`,
        and the whole way does not count again); a wrong one, or a request refused, is taken
        back (one more round trip), so the throttles count what DRF would have counted."""
        if not _negotiates_json(self, request, kwargs):
            return None
        authenticators = self.get_authenticators()
        if not authenticators or not isinstance(authenticators[0], TokenAuthentication):
            return None
        guessed, counted = None, []
        if isinstance(self, ReadAheadMixin):
            guessed, counted = self._guessed_counters(request, authenticators[0])
            counts = self.read_ahead(request, authenticators[:1], counters=[counter[:2] for _t, counter in counted])
        try:
            found = authenticators[0].authenticate(request)
        except exceptions.APIException:
            found = None  # the whole way refuses it
        caller = None
        if found is not None:  # else no token: another authenticator (a session) may answer
            caller = SimpleNamespace(user=found[0], auth=found[1], method=request.method, META=request.META)
            try:
                if not all(permission.has_permission(caller, self) for permission in self.get_permissions()):
                    caller = None
            except AttributeError:  # a permission that reads more of DRF's request: the whole way decides
                caller = None
        if counted:
            if caller is not None and caller.user.pk == guessed:
                self._early_throttle_waits = [
                    throttle.wait()
                    for (throttle, (_key, _ttl, allowed)), count in zip(counted, counts or (), strict=False)
                    if count is not None and count > allowed
                ]
            else:
                for _throttle, (key, ttl, _allowed) in counted:
                    counter_incr(key, ttl=ttl, delta=-1)
        return caller

    def _guessed_counters(self, request, authenticator) -> tuple[Any, list]:
        """The guessed person's id and ``(throttle, (key, ttl, allowed))`` of each throttle that
        counts them now; ``(None, [])`` without a guess or with a throttle that does not say."""
        guess = getattr(authenticator, "ahead_user_id", None)
        guessed = guess(request) if guess is not None else None
        if guessed is None:
            return None, []
        caller = SimpleNamespace(user=SimpleNamespace(pk=guessed, is_authenticated=True), META=request.META)
        counted = []
        for throttle in self.get_throttles():
            if not hasattr(throttle, "window_counter"):
                return None, []
            counter = throttle.window_counter(caller, self)
            if counter is not None:
                counted.append((throttle, counter))
        return guessed, counted

    def early_counted(self, counted: list, counts: list) -> None:
        """The request was counted by the caller in a round trip of its own (the sale-day
        checkout, in the flash gate's script): ``counts`` are the new counts of ``counted``
        (``(throttle, (key, ttl, allowed))``, as ``window_counter`` gave them). That is the
        request's count: :meth:`early_throttled` and the whole way do not count again."""
        self._early_throttle_waits = [
            throttle.wait()
            for (throttle, (_key, _ttl, allowed)), count in zip(counted, counts, strict=True)
            if count is not None and count > allowed
        ]

    def early_throttled(self, caller) -> bool:
        """Count the request of ``caller`` on the view's throttles, as DRF's ``check_throttles``
        does (unless :meth:`early_caller` counted it already). True if a throttle refuses it:
        the caller then goes the whole way, which answers 429 from these counts without
        counting again."""
        if self._early_throttle_waits is None:
            waits = [throttle.wait() for throttle in self.get_throttles() if not throttle.allow_request(caller, self)]
            self._early_throttle_waits = waits
        return bool(self._early_throttle_waits)

    def check_throttles(self, request):
        waits, self._early_throttle_waits = self._early_throttle_waits, None
        if waits is None:
            return super().check_throttles(request)
        if waits:
            self.throttled(request, max((wait for wait in waits if wait is not None), default=None))

    def early_response(self, body: bytes, *, status: int = 200) -> HttpResponse:
        """``body`` (JSON) as DRF would send it from this view: its default response headers."""
        response = HttpResponse(body, status=status, content_type="application/json")
        for name, value in _early_headers(tuple(self.default_response_headers.items())):
            response[name] = value
        return response


@lru_cache(maxsize=64)
def _early_headers(defaults: tuple) -> tuple:
    """A view's default response headers (``defaults``: DRF's ``default_response_headers``) as
    DRF's response sets them, in order: ``Vary`` patched in first (as ``patch_vary_headers``
    merges it), then the others."""
    response = HttpResponse()
    headers = dict(defaults)
    vary = headers.pop("Vary", None)
    if vary is not None:
        patch_vary_headers(response, cc_delim_re.split(vary))
    for name, value in headers.items():
        response[name] = value
    return tuple((name, value) for name, value in response.items() if name != "Content-Type")


def _negotiates_json(view, request, kwargs: dict) -> bool:
    """Whether DRF's content negotiation would choose ``view``'s first renderer for ``request``
    and that renderer is JSON (as ``DefaultContentNegotiation`` decides: no format suffix or
    ``?format=``, and an ``Accept`` that the first renderer matches first)."""
    renderers = view.renderer_classes
    if not renderers or not issubclass(renderers[0], JSONRenderer) or renderers[0].media_type != "application/json":
        return False
    if kwargs.get(api_settings.FORMAT_SUFFIX_KWARG):
        return False
    override, query = api_settings.URL_FORMAT_OVERRIDE, request.META.get("QUERY_STRING", "")
    # The query is parsed only if it could name the override (spelled out or percent-encoded).
    if override and (override in query or "%" in query) and override in request.GET:
        return False
    return request.META.get("HTTP_ACCEPT", "*/*") in _JSON_ACCEPTS


def error_body(*, code: str, message: str, fields: dict | None = None, **extra: Any) -> dict:
    """The one API error body. ``fields`` maps a field name to its messages (validation errors);
    ``extra`` adds machine-readable details next to ``code`` (e.g. ``product=12``)."""
    body = {"code": code, "message": message, **extra}
    if fields is not None:
        body["fields"] = fields
    return {"error": body}


def application_error_body(error: ApplicationError) -> dict:
    """The error body for a domain refusal (its HTTP status is ``error.status``)."""
    return error_body(code=error.code, message=error.message, **error.extra)


def _first_message(detail) -> str:
    if isinstance(detail, dict):
        for key, value in detail.items():
            msg = _first_message(value)
            return msg if key in ("detail", "non_field_errors") else f"{key}: {msg}"
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    return str(detail)


def conflict_message() -> str:
    return _("Someone else changed this at the same moment. Reload and try again.")


def exception_handler(exc, context):
    """DRF's ``EXCEPTION_HANDLER``: every API error answers with :func:`error_body`. A unique or
    foreign-key race that no service turned into its own refusal answers 409 ``conflict``."""
    if isinstance(exc, ApplicationError):
        response = Response(application_error_body(exc), status=exc.status)
        if "retry_after" in exc.extra:
            response["Retry-After"] = str(exc.extra["retry_after"])
        return response
    if isinstance(exc, IntegrityError):
        logger.warning("Unhandled constraint race answered 409: %s", exc)
        return Response(error_body(code=CoreErrorCode.CONFLICT, message=conflict_message()), status=409)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    elif isinstance(exc, Http404 | ObjectDoesNotExist):  # e.g. deleted by someone else mid-request
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail = response.data
    fields = detail if isinstance(exc, exceptions.ValidationError) and isinstance(detail, dict) else None
    response.data = error_body(
        code=getattr(exc, "default_code", "error"), message=_first_message(detail), fields=fields
    )
    return response
