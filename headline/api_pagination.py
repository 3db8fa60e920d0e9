"""Cursor pagination for the following feed (page and API alike)."""

from rest_framework.pagination import CursorPagination


class StoryCursorPagination(CursorPagination):
    """Newest first by ``(published_at, id)``: a cursor remembers the last position, so stories
    that arrive while someone reads are neither repeated on the next page nor skipped."""

    ordering = ("-published_at", "-id")
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
