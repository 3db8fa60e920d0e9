"""Plural forms remembered per process: ``ngettext`` of a message for a count, kept per language
and count. A lookup that misses the catalogue (English, the source language) raises and catches
three exceptions in Django's translation machinery, and hot pages word a count per card or list."""

from django.utils.translation import ngettext


class PluralForms:
    """``forms(language, count)``: ``ngettext(singular, plural, count)`` in the active language
    (``language``, the caller's ``get_language()``), remembered for up to ``max_entries`` pairs
    (counts are many: past that, worded each time)."""

    def __init__(self, singular: str, plural: str, *, max_entries: int = 20_000):
        self.singular, self.plural, self.max_entries = singular, plural, max_entries
        self._forms: dict[tuple[str, int], str] = {}

    def __call__(self, language: str, count: int) -> str:
        form = self._forms.get((language, count))
        if form is None:
            form = ngettext(self.singular, self.plural, count)
            if len(self._forms) < self.max_entries:
                self._forms[(language, count)] = form
        return form
