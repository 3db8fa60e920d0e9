"""API plumbing shared by every app's api.py: pagination and the one exception handler."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import ApplicationError


class Pagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


def _first_message(detail) -> str:
    if isinstance(detail, dict):
        for key, value in detail.items():
            msg = _first_message(value)
            return msg if key in ("detail", "non_field_errors") else f"{key}: {msg}"
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    return str(detail)


def exception_handler(exc, context):
    """Every API error is JSON: ``{"error": {"code", "message", "fields"?, ...extra}}``."""
    if isinstance(exc, ApplicationError):
        body = {"code": exc.code, "message": exc.message, **exc.extra}
        return Response({"error": body}, status=exc.status)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail = response.data
    body = {
        "code": getattr(exc, "default_code", "error"),
        "message": _first_message(detail),
    }
    if isinstance(exc, exceptions.ValidationError) and isinstance(detail, dict):
        body["fields"] = detail
    response.data = {"error": body}
    return response
