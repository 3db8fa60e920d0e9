"""Abuse limits that hold (issue 13, point 4): forwarded headers are believed only from
configured proxies, so a throttled client cannot reset its limit with a new X-Forwarded-For;
per-user limits on posting (core/throttles.py). Counters on the real cache (Redis in CI)."""

import pytest
from django.test import RequestFactory
from rest_framework.test import APIClient

from core.errors import ApplicationError
from core.throttles import AnonWindowThrottle, action_limit, client_ip

pytestmark = pytest.mark.django_db


def _request(remote: str, forwarded: str | None = None):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **headers)


def test_without_configured_proxies_the_header_is_ignored(settings):
    settings.NUM_PROXIES, settings.TRUSTED_PROXIES = 0, []
    assert client_ip(_request("203.0.113.9", "1.2.3.4")) == "203.0.113.9"


def test_num_proxies_takes_the_address_the_last_proxy_saw(settings):
    settings.NUM_PROXIES, settings.TRUSTED_PROXIES = 1, []
    # the client forged "1.2.3.4"; our one proxy appended the address it really saw
    assert client_ip(_request("10.0.0.2", "1.2.3.4, 198.51.100.7")) == "198.51.100.7"


def test_trusted_proxies_walk_the_header_from_the_right(settings):
    settings.NUM_PROXIES, settings.TRUSTED_PROXIES = 0, ["10.0.0.0/8", "192.0.2.1"]
    assert client_ip(_request("10.0.0.2", "1.2.3.4, 198.51.100.7, 192.0.2.1")) == "198.51.100.7"
    # a request that did not come through a trusted proxy: its header is not believed
    assert client_ip(_request("203.0.113.9", "1.2.3.4")) == "203.0.113.9"


@pytest.mark.parametrize("proxies", [{"NUM_PROXIES": 0, "TRUSTED_PROXIES": []}, {"NUM_PROXIES": 1}])
def test_a_forged_forwarded_header_does_not_reset_the_throttle(settings, monkeypatch, proxies):
    for name, value in proxies.items():
        setattr(settings, name, value)
    monkeypatch.setattr(AnonWindowThrottle, "THROTTLE_RATES", {"anon": "3/minute", "user": "3/minute"})
    client = APIClient()

    def get(forged: str):
        # behind one proxy, the proxy appends the address it saw (always the same client)
        header = f"{forged}, 198.51.100.7" if proxies["NUM_PROXIES"] else forged
        return client.get("/api/v1/categories/", HTTP_X_FORWARDED_FOR=header, REMOTE_ADDR="10.0.0.2").status_code

    codes = [get(f"1.2.3.{n}") for n in range(6)]

    assert codes == [200, 200, 200, 429, 429, 429]


def test_action_limits_count_per_user_and_answer_429_with_retry_after(settings):
    settings.USER_ACTION_LIMITS = {"question": "2/hour"}
    action_limit("question", user_id=1)
    action_limit("question", user_id=1)
    with pytest.raises(ApplicationError) as refused:
        action_limit("question", user_id=1)
    assert refused.value.status == 429 and refused.value.code == "rate_limited"
    assert 0 < refused.value.extra["retry_after"] <= 3600
    action_limit("question", user_id=2)  # another user has their own count
