"""``core.ids.positive_int``: the one reading of an id or page number a client typed."""

import pytest

from core.ids import MAX_ID, positive_int


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", 1),
        (" 42 ", 42),
        (7, 7),
        (str(MAX_ID), MAX_ID),
        (str(MAX_ID + 1), None),  # beyond bigint: no row has it (and SQLite cannot compare it)
        ("0", None),
        ("-3", None),
        ("²", None),  # str.isdigit() says yes, int() raises
        ("٣", None),  # Arabic-Indic three: int() takes it, but no id is written so
        ("1e3", None),
        ("", None),
        ("1,2", None),
    ],
)
def test_positive_int_reads_ascii_digits_within_bigint(text, expected):
    assert positive_int(text) == expected
