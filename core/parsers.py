"""The API's request parsers: DRF's, with limits that turn hostile bodies into a 400 (issue 13).

``REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]`` names them; a view that lists its own parsers picks
from these classes (``tests/core/test_input_guard.py`` walks every API view). Kept apart from
``core.api`` because DRF's ``APIView`` reads the parser setting when ``rest_framework.views`` is
imported, which ``core.api`` does."""

from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers

#: How deep a JSON body may nest (objects and arrays); deeper bodies are refused with 400.
MAX_JSON_DEPTH = 32


def check_parsed(data, *, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Refuse parsed request data no view can take: nesting deeper than ``max_depth``, a NUL
    character (PostgreSQL cannot store it) or an unpaired surrogate (not UTF-8) in any string or
    key. Walks iteratively, so a hostile body cannot exhaust the stack here either."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            _check_text(value)
        elif isinstance(value, dict) or hasattr(value, "lists"):
            if depth > max_depth:
                raise _too_deep(max_depth)
            items = value.lists() if hasattr(value, "lists") else value.items()
            for key, item in items:
                _check_text(str(key))
                stack.append((item, depth + 1))
        elif isinstance(value, list | tuple):
            if depth > max_depth:
                raise _too_deep(max_depth)
            stack.extend((item, depth + 1) for item in value)


def _too_deep(max_depth: int) -> exceptions.ParseError:
    return exceptions.ParseError(_("The JSON body nests deeper than %(depth)d levels.") % {"depth": max_depth})


def _check_text(text: str) -> None:
    if "\x00" in text:
        raise exceptions.ParseError(_("The request contains a NUL character, which is not allowed anywhere."))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise exceptions.ParseError(_("The request contains text that is not valid Unicode.")) from None


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser that answers 400 (never a ``RecursionError`` 500) for a body nested too
    deep, refuses NUL characters and unpaired surrogates (:func:`check_parsed`), and refuses a body
    that is not a JSON object: every request body of this API is one (the schema says so), and views
    may read ``request.data`` as a mapping before their serializer runs. The default parser of the
    API; views that list their own parsers use these classes (a test walks them)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise _too_deep(MAX_JSON_DEPTH) from None
        if not isinstance(data, dict):
            raise exceptions.ParseError(_("The JSON body must be an object ({...})."))
        check_parsed(data)
        return data


class FormParser(parsers.FormParser):
    """DRF's form parser with :func:`check_parsed` (NUL characters)."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        check_parsed(data)
        return data


class MultiPartParser(parsers.MultiPartParser):
    """DRF's multipart parser with :func:`check_parsed` on the form fields (files are bytes)."""

    def parse(self, stream, media_type=None, parser_context=None):
        result = super().parse(stream, media_type, parser_context)
        check_parsed(result.data)
        return result


#: ``REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]`` and what views with their own list pick from.
PARSER_CLASSES = [JSONParser, FormParser, MultiPartParser]
