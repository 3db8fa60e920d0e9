"""Error codes: one enum per domain (``<app>/errors.py``), used by every ApplicationError,
each code listed in docs/api.md."""

import ast
import importlib
import importlib.util
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings

from core.errors import ApplicationError, ErrorCode

ROOT = Path(settings.BASE_DIR)
OUR_APPS = [config for config in apps.get_app_configs() if Path(config.path).parent == ROOT]


def _error_enums() -> list[type[ErrorCode]]:
    for config in OUR_APPS:
        if importlib.util.find_spec(f"{config.name}.errors"):
            importlib.import_module(f"{config.name}.errors")
    return [enum for enum in ErrorCode.__subclasses__() if enum.__module__.split(".")[0] in {c.name for c in OUR_APPS}]


def test_a_plain_string_code_is_refused():
    with pytest.raises(TypeError, match="ErrorCode"):
        ApplicationError("No.", code="sold_out")


def test_every_application_error_in_the_code_names_an_enum_member():
    # given every Python file of our apps (tests and migrations aside)
    offenders, found = [], 0
    for config in OUR_APPS:
        for path in Path(config.path).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "ApplicationError":
                    found += 1
                    code = next((kw.value for kw in node.keywords if kw.arg == "code"), None)
                    # then each raise passes code= and it is not a string literal
                    if code is None or isinstance(code, ast.Constant):
                        offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found > 50  # the walk saw the raises
    assert offenders == [], "ApplicationError without an ErrorCode member: " + ", ".join(offenders)


def test_every_error_code_is_listed_in_the_api_docs():
    # given docs/api.md, one "### `XErrorCode`" section per enum
    docs = (ROOT / "docs" / "api.md").read_text()
    sections = dict(re.findall(r"^### `(\w+ErrorCode)`[^\n]*\n(.*?)(?=^#|\Z)", docs, flags=re.M | re.S))
    enums = _error_enums()
    assert {"CatalogueErrorCode", "CheckoutErrorCode", "OrderErrorCode", "QAErrorCode"} <= {e.__name__ for e in enums}
    for enum in enums:
        # then each enum has its section, listing exactly its codes
        assert enum.__name__ in sections, f"docs/api.md has no section for {enum.__name__}"
        listed = set(re.findall(r"^\| `(\w+)` \|", sections[enum.__name__], flags=re.M))
        assert listed == set(enum.values), (
            f"{enum.__name__}: docs list {sorted(listed)}, code has {sorted(enum.values)}"
        )
