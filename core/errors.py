"""The one domain error type. Services raise it; the API turns it into a JSON 4xx
(core.api.exception_handler) and page views into a form error or message."""


class ApplicationError(Exception):
    """A request the domain refuses, with a message fit to show the user.

    ``status`` is the HTTP status the API answers with (400 by default; 409 for conflicts such as
    "sold out", 404 for "not yours/not there", 403 for permission). ``extra`` carries machine
    readable details (e.g. ``{"code": "sold_out", "product": 12}``).
    """

    def __init__(self, message: str, *, status: int = 400, code: str = "invalid", extra: dict | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.extra = extra or {}
