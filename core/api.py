"""API plumbing shared by every app's api.py: the one JSON error body, the DRF exception handler
that renders every API error with it, pagination, and reading ahead (:class:`ReadAheadMixin`).
``config.settings`` wires the first three into ``REST_FRAMEWORK``; anything else that answers an
API error by hand (a stored Idempotency-Key replay, a service that records its refusal) builds the
body with :func:`error_body`.

The body is ``{"error": {"code": str, "message": str, "fields"?: {field: [messages]}, ...extra}}``
(docs/api.md). The API's parsers (a depth limit, no NUL characters) are in ``core.parsers``."""

import logging
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.cache import read_ahead
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

    def initial(self, request, *args, **kwargs):
        entries = dict(self.ahead_entries(request))
        for authenticator in request.authenticators:
            hook = getattr(authenticator, "ahead_entries", None)
            if hook is not None:
                entries.update(hook(request))
        if entries:
            read_ahead(entries)
        super().initial(request, *args, **kwargs)


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
