"""The one place a chat text is checked against blocked terms.

A minimal list (``settings.LIVE_BLOCKED_TERMS``) for now; the moderation work (issue 12) points
:func:`blocked_term_in` at community's shared list — nothing else needs to change.
"""

from django.conf import settings


def blocked_term_in(text: str) -> str | None:
    """The first blocked term found in ``text`` (case-insensitive), or None."""
    folded = text.casefold()
    for term in settings.LIVE_BLOCKED_TERMS:
        if term and term.casefold() in folded:
            return term
    return None
