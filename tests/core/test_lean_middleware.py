"""core.middleware's MessageMiddleware and LocaleMiddleware: Django's answers, less work per
request (the messages storage made on first use; the language of a cookie and header
remembered)."""

import pytest
from django.contrib import messages
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.utils import translation
from django.utils.functional import empty

from core.middleware import LocaleMiddleware, MessageMiddleware, _language_for


def test_a_request_that_never_touches_messages_builds_no_storage_and_stores_nothing():
    # when a request goes by without adding or reading a message
    response = Client().get("/ping")

    # then the storage was never made, and nothing was set on the response
    assert response.status_code == 200
    assert response.wsgi_request._messages._wrapped is empty
    assert "messages" not in response.cookies


def test_a_message_added_in_one_request_is_shown_by_the_next():
    # given a view that adds a message and one that reads them
    def add(request):
        messages.success(request, "Saved.")
        return HttpResponse("ok")

    def read(request):
        return HttpResponse(" | ".join(str(m) for m in messages.get_messages(request)))

    factory = RequestFactory()
    first = factory.get("/")
    first.session = {}
    response = MessageMiddleware(add)(first)

    # when the next request brings the cookie the first set, then it reads the message once
    assert "messages" in response.cookies
    second = factory.get("/", HTTP_COOKIE=f"messages={response.cookies['messages'].value}")
    second.session = {}
    assert MessageMiddleware(read)(second).content == b"Saved."


@pytest.mark.parametrize(
    ("cookie", "accept"),
    [
        (None, ""),
        (None, "zh-CN,zh;q=0.9,en;q=0.8"),
        (None, "fr-FR,fr;q=0.9"),
        (None, "fr, zh-TW;q=0.5"),
        (None, "*"),
        ("zh-hans", "en-US"),
        ("en", "zh-CN"),
        ("xx", "zh-CN"),
        ("zh-Hans", ""),
    ],
)
def test_the_language_is_djangos_for_every_cookie_and_header(cookie, accept):
    from django.conf import settings
    from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware

    def answer(middleware):
        request = RequestFactory().get("/", HTTP_ACCEPT_LANGUAGE=accept)
        if cookie is not None:
            request.COOKIES[settings.LANGUAGE_COOKIE_NAME] = cookie
        response = middleware(lambda r: HttpResponse(f"{r.LANGUAGE_CODE} {translation.get_language()}"))(request)
        translation.activate(settings.LANGUAGE_CODE)
        return response.content, response["Content-Language"], response["Vary"]

    assert answer(LocaleMiddleware) == answer(DjangoLocaleMiddleware)


def test_the_language_of_a_cookie_and_header_is_worked_out_once_and_again_after_a_settings_change(settings):
    _language_for.cache_clear()
    middleware = LocaleMiddleware(lambda r: HttpResponse(r.LANGUAGE_CODE))
    for _ in range(3):
        assert middleware(RequestFactory().get("/", HTTP_ACCEPT_LANGUAGE="zh-CN")).content == b"zh-hans"
    assert _language_for.cache_info().misses == 1 and _language_for.cache_info().hits == 2

    # when the languages change, then what was remembered is forgotten
    settings.LANGUAGES = [("en", "English")]
    assert middleware(RequestFactory().get("/", HTTP_ACCEPT_LANGUAGE="zh-CN")).content == b"en"
