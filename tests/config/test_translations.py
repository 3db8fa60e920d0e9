"""Chinese and English: the catalogues are complete and in step with the code, the language
follows Accept-Language and the footer's switcher, and dates and prices format per language."""

import shutil
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import polib
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format

from core import i18n
from marketplace.templatetags.catalogue import money

pytestmark = pytest.mark.django_db


# --- the catalogues ----------------------------------------------------------------------------


def test_every_catalogue_is_complete_with_nothing_fuzzy():
    assert i18n.problems() == []


def test_every_marked_string_is_in_its_catalogue_and_nothing_else():
    if not shutil.which("xgettext"):
        pytest.skip("GNU gettext (xgettext) is not installed: apt-get install gettext")
    assert i18n.out_of_step() == []


def test_the_check_catches_a_missing_an_untranslated_and_a_fuzzy_string(tmp_path):
    # given a copy of the project catalogue with one string dropped, one emptied, one fuzzy
    if not shutil.which("xgettext"):
        pytest.skip("GNU gettext (xgettext) is not installed: apt-get install gettext")
    root = tmp_path / "tree"
    shutil.copytree(settings.BASE_DIR / "templates", root / "templates")
    shutil.copytree(settings.BASE_DIR / "locale", root / "locale", ignore=shutil.ignore_patterns("*.mo"))
    po_path = root / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
    po = polib.pofile(str(po_path))
    entries = [e for e in po if not e.msgid_plural and not e.msgctxt]
    dropped, emptied, fuzzy = entries[0], entries[1], entries[2]
    po.remove(dropped)
    emptied.msgstr = ""
    fuzzy.flags.append("fuzzy")
    po.save()

    # when the catalogues of that tree are checked
    found = i18n.problems(root) + i18n.out_of_step(root)

    # then each defect is named
    text = "\n".join(found)
    assert f"{emptied.msgid!r} is not translated" in text
    assert f"{fuzzy.msgid!r} is fuzzy" in text
    assert f"not in the catalogue: {dropped.msgid!r}" in text


def test_compiled_catalogue_is_in_effect():
    with translation.override("zh-hans"):
        assert translation.gettext("Cart") == "购物车"
    with translation.override("en"):
        assert translation.gettext("Cart") == "Cart"


# --- the active language -----------------------------------------------------------------------


def test_language_follows_accept_language(client):
    chinese = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9,en;q=0.8")
    english = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")

    assert '<html lang="zh-hans">' in chinese.content.decode() and "购物车" in chinese.content.decode()
    assert chinese["Content-Language"] == "zh-hans"
    assert '<html lang="en">' in english.content.decode() and ">Cart<" in english.content.decode()
    assert "Accept-Language" in chinese["Vary"]


def test_without_accept_language_the_site_is_english(client):
    response = client.get(reverse("home"))

    assert '<html lang="en">' in response.content.decode() and response["Content-Language"] == "en"


def test_footer_switcher_sets_the_language_for_later_pages(client):
    # given an English visitor on the market page
    page = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en")
    assert 'action="/i18n/setlang/"' in page.content.decode()

    # when they choose 简体中文 in the footer
    response = client.post(reverse("set_language"), {"language": "zh-hans"}, HTTP_REFERER="http://testserver/products/")

    # then they go back where they were and see Chinese, whatever their browser says
    assert response.status_code == 302 and response["Location"] == "http://testserver/products/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    assert "购物车" in client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()


# --- formats -------------------------------------------------------------------------------------


def test_dates_format_per_language():
    day = datetime(2026, 12, 12, 20, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    with translation.override("zh-hans"):
        assert date_format(day, "MONTH_DAY_FORMAT") == "12月12日"
        assert date_format(day, "SHORT_DATETIME_FORMAT") == "12月12日 20:00"
        assert date_format(day, "DATE_FORMAT") == "2026年12月12日"
    with translation.override("en"):
        assert date_format(day, "MONTH_DAY_FORMAT") == "Dec 12"
        assert date_format(day, "SHORT_DATETIME_FORMAT") == "Dec 12, 20:00"


def test_prices_have_the_currency_symbol_and_thousands_separators_in_both_languages():
    for language in ("zh-hans", "en"):
        with translation.override(language):
            assert money(Decimal("12999.5")) == "¥12,999.50"
            assert money(Decimal("8")) == "¥8.00"
