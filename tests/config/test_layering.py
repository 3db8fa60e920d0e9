"""import-linter guards Python imports; templates can break the layering too (a marketplace
template loading community's tag library). Upper apps contribute through
settings.MARKETPLACE_PAGE_EXTENSIONS instead."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
UPPER = ("community", "headline", "livestream")


def test_marketplace_templates_do_not_name_upper_apps():
    offenders = []
    for path in (ROOT / "marketplace" / "templates").rglob("*.html"):
        text = path.read_text()
        for load in re.findall(r"{%\s*load\s+([^%]+)%}", text):
            if any(lib.startswith(UPPER) for lib in load.split()):
                offenders.append(f"{path.name}: load {load.strip()}")
        for name in re.findall(r"{%\s*(?:include|extends)\s+['\"]([^'\"]+)['\"]", text):
            if name.startswith(tuple(f"{app}/" for app in UPPER)):
                offenders.append(f"{path.name}: {name}")
    assert offenders == []


def test_shop_page_extension_is_wired_to_an_existing_template():
    from django.conf import settings
    from django.template.loader import get_template

    for names in settings.MARKETPLACE_PAGE_EXTENSIONS.values():
        for name in names:
            assert get_template(name)
