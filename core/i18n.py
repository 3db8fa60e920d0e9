"""Translation catalogues: where they live, how they are regenerated, compiled and checked.

Layout (docs/architecture.md, "Translations"):

* every app of ours with a ``locale/`` folder owns a catalogue of its own strings
  (``marketplace/locale/zh_Hans/LC_MESSAGES/django.po``);
* the project catalogue ``locale/`` (``settings.LOCALE_PATHS``) holds every other string:
  ``templates/``, ``config/`` and apps that have no ``locale/`` folder yet.

``update`` runs Django's ``makemessages`` (needs GNU gettext's ``xgettext``) once per catalogue.
``compile`` writes each ``.mo`` with polib (pure Python, so a fresh machine without gettext
serves Chinese). ``check`` is what the test suite runs: catalogues complete, nothing fuzzy,
placeholders consistent, and in step with the code (a fresh extraction into a copy of the tree
gives the same msgids).
"""

import contextlib
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import polib
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.test.utils import override_settings

#: Languages we translate into (the source strings are English).
TARGET_LOCALES = ("zh_Hans",)
#: Folders of the project tree that hold no user-facing strings.
IGNORED = [".*", "venv", "var", "tests", "bench", "docs", "node_modules", "media", "staticfiles", "static"]
#: makemessages' file references: file names only (line numbers churn on every edit and turn
#: parallel branches' catalogues into merge conflicts).
ADD_LOCATION = "file"


@dataclass(frozen=True)
class Catalogue:
    name: str  # "project" or the app label
    source: Path  # the folder whose files feed it
    ignore: tuple[str, ...]  # folders under ``source`` that belong elsewhere

    @property
    def locale(self) -> Path:
        return self.source / "locale"

    def po(self, locale: str) -> Path:
        return self.locale / locale / "LC_MESSAGES" / "django.po"


def catalogues(root: Path | None = None) -> list[Catalogue]:
    """The project's catalogues, under ``root`` (the project folder by default): one per app of
    ours that has a ``locale/`` folder, then the project catalogue for everything else."""
    base = Path(settings.BASE_DIR)
    root = Path(root or base)
    own = []
    for config in apps.get_app_configs():
        path = Path(config.path)
        if path.parent == base and (root / path.name / "locale").is_dir():
            own.append(path.name)
    found = [Catalogue(name=name, source=root / name, ignore=()) for name in sorted(own)]
    found.append(Catalogue(name="project", source=root, ignore=tuple(own)))
    return found


def update(root: Path | None = None) -> list[Path]:
    """Re-extract every marked string into each catalogue's ``.po`` (new strings arrive with an
    empty translation; strings no longer in the code are dropped). Returns the ``.po`` paths."""
    if not shutil.which("xgettext"):
        raise RuntimeError("makemessages needs GNU gettext: apt-get install gettext")
    written = []
    for catalogue in catalogues(root):
        catalogue.locale.mkdir(exist_ok=True)
        # makemessages walks the working directory and writes into LOCALE_PATHS[0].
        with contextlib.chdir(catalogue.source), override_settings(LOCALE_PATHS=[str(catalogue.locale)]):
            call_command(
                "makemessages",
                locale=list(TARGET_LOCALES),
                ignore_patterns=[*IGNORED, *catalogue.ignore],
                no_obsolete=True,
                add_location=ADD_LOCATION,
                verbosity=0,
            )
        for locale in TARGET_LOCALES:
            if catalogue.po(locale).exists():
                _tidy_header(catalogue.po(locale), locale=locale)
                written.append(catalogue.po(locale))
    return written


def _tidy_header(path: Path, *, locale: str) -> None:
    """A real header instead of makemessages' fuzzy template, and no creation date (it would
    change on every run and conflict between branches)."""
    po = polib.pofile(str(path))
    po.metadata.pop("POT-Creation-Date", None)
    po.metadata.update(
        {
            "Project-Id-Version": "Jishi",
            "Report-Msgid-Bugs-To": "",
            "PO-Revision-Date": "",
            "Last-Translator": "Jishi developers",
            "Language-Team": "",
            "Language": locale,
        }
    )
    po.header = "Jishi translations. Regenerate with `make messages`; see docs/architecture.md."
    po.metadata_is_fuzzy = False
    po.save()


def compile_all(root: Path | None = None) -> list[Path]:
    """Write ``django.mo`` beside every ``django.po`` (always: it is cheap, and a stale ``.mo``
    is never served). Returns the ``.mo`` paths."""
    written = []
    for catalogue in catalogues(root):
        for po_path in sorted(catalogue.locale.glob("*/LC_MESSAGES/django.po")):
            mo_path = po_path.with_suffix(".mo")
            polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
            written.append(mo_path)
    return written


def _entry_id(entry: polib.POEntry) -> tuple:
    return (entry.msgctxt or "", entry.msgid, entry.msgid_plural or "")


def problems(root: Path | None = None) -> list[str]:
    """Everything wrong with the catalogues under ``root``: missing files, untranslated or fuzzy
    entries, and (where GNU gettext is installed) placeholders msgfmt rejects."""
    found = []
    for catalogue in catalogues(root):
        for locale in TARGET_LOCALES:
            po_path = catalogue.po(locale)
            if not po_path.exists():
                continue  # nothing marked there yet (out_of_step reports strings it lacks)
            po = polib.pofile(str(po_path))
            where = po_path.relative_to(Path(root or settings.BASE_DIR))
            for entry in po:
                if entry.obsolete:
                    continue
                label = f"{where}: {entry.msgctxt + ' | ' if entry.msgctxt else ''}{entry.msgid!r}"
                if "fuzzy" in entry.flags:
                    found.append(f"{label} is fuzzy")
                elif not entry.translated():
                    found.append(f"{label} is not translated")
            if shutil.which("msgfmt"):
                run = subprocess.run(
                    ["msgfmt", "--check", "-o", "/dev/null", str(po_path)], capture_output=True, text=True
                )
                if run.returncode:
                    found.append(f"{where}: msgfmt --check: {run.stderr.strip()}")
    return found


def out_of_step(root: Path | None = None) -> list[str]:
    """Differences between the committed catalogues and a fresh extraction of the code (made in
    a temporary copy of the tree, so nothing in the work tree changes)."""
    base = Path(root or settings.BASE_DIR)
    differences = []
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "tree"
        shutil.copytree(
            base,
            copy,
            ignore=shutil.ignore_patterns(".git", ".venv", "var", "node_modules", "__pycache__", "*.mo", "tests"),
            symlinks=True,
        )
        update(copy)
        for catalogue in catalogues(base):
            fresh_catalogue = Catalogue(
                name=catalogue.name, source=copy / catalogue.source.relative_to(base), ignore=catalogue.ignore
            )
            for locale in TARGET_LOCALES:
                committed_path = catalogue.po(locale)
                committed = (
                    {_entry_id(e) for e in polib.pofile(str(committed_path)) if not e.obsolete}
                    if committed_path.exists()
                    else set()
                )
                fresh_path = fresh_catalogue.po(locale)
                fresh = {_entry_id(e) for e in polib.pofile(str(fresh_path))} if fresh_path.exists() else set()
                where = committed_path.relative_to(base)
                differences += [f"{where}: not in the catalogue: {m[1]!r}" for m in sorted(fresh - committed)]
                differences += [f"{where}: no longer in the code: {m[1]!r}" for m in sorted(committed - fresh)]
    return differences
