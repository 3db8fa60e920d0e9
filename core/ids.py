"""Row ids and page numbers read from text a client sent (a query string, a form field)."""

#: Largest id PostgreSQL's ``bigint`` holds; a larger one names no row (and is an overflow on SQLite).
MAX_ID = 2**63 - 1


def positive_int(text) -> int | None:
    """``text`` as an id or page number (1 to ``MAX_ID``, ASCII digits only), else ``None``.

    ``str.isdigit()`` alone is not enough: it takes "²" and other digits ``int()`` refuses (a 500),
    and numbers beyond 64 bits that the database cannot compare."""
    text = str(text).strip()
    if not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None


#: Largest count a ``PositiveIntegerField`` holds on every database (PostgreSQL ``integer``).
MAX_COUNT = 2**31 - 1
