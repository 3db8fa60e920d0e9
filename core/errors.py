"""The one domain error type and the base of every error-code enum.

Services raise :class:`ApplicationError`; the API turns it into a JSON 4xx
(``core.api.exception_handler``) and page views into a form error or message. Its ``code`` is a
member of one :class:`ErrorCode` enum per domain, declared in the app's ``errors`` module (as
Saleor does: ``CheckoutErrorCode``, ``CatalogueErrorCode``, ``QAErrorCode``, ...), so every code a
client can receive is listed in one place and in docs/api.md (a test keeps the two in step).
"""

from django.db import models


class ErrorCode(models.TextChoices):
    """Base of the per-domain error-code enums. Subclass it in ``<app>/errors.py``; members are
    strings (``CheckoutErrorCode.SOLD_OUT == "sold_out"``), so they go into JSON as they are."""


class ApplicationError(Exception):
    """A request the domain refuses, with a message fit to show the user.

    ``code`` is a member of the domain's :class:`ErrorCode` enum (a plain string is a
    ``TypeError``: add the code to the enum instead). ``status`` is the HTTP status the API
    answers with (400 by default; 409 for conflicts such as "sold out", 404 for "not yours/not
    there", 403 for permission). ``extra`` carries machine-readable details that go into the
    error body next to ``code`` (e.g. ``{"product": 12}``; ``{"fields": {...}}`` for per-field
    messages).
    """

    def __init__(self, message: str, *, code: ErrorCode, status: int = 400, extra: dict | None = None):
        if not isinstance(code, ErrorCode):
            raise TypeError(f"ApplicationError code must be an ErrorCode member, not {code!r}")
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.extra = extra or {}


class CoreErrorCode(ErrorCode):
    """Codes the plumbing answers with, whatever the domain."""

    #: A write lost a race on a unique or foreign-key constraint that no service turned into its
    #: own refusal (409; the safety net of ``core.api.exception_handler`` and
    #: ``core.middleware.ConflictMiddleware``).
    CONFLICT = "conflict"
    #: Over a per-user limit on an action (``core.throttles.action_limit``; 429, ``retry_after``).
    RATE_LIMITED = "rate_limited"
