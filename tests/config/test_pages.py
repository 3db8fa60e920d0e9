import pytest

pytestmark = pytest.mark.django_db


def test_home_has_landmarks_and_navigation(client):
    r = client.get("/")
    html = r.content.decode()
    assert r.status_code == 200
    for landmark in ("<header", '<main id="main"', "<footer", 'aria-label="Main"', 'class="skip-link"'):
        assert landmark in html
    for area in ("Headline", "Market", "Sales", "Ask others", "Live"):
        assert f">{area}</a>" in html


def test_every_main_navigation_link_works(client):
    import re

    html = client.get("/").content.decode()
    nav = html.split('aria-label="Main"', 1)[1].split("</nav>", 1)[0]
    links = re.findall(r'href="([^"]+)"', nav)
    assert len(links) == 5
    for link in links:
        assert client.get(link).status_code == 200, link


def test_unknown_page_is_a_friendly_404(client, settings):
    settings.DEBUG = False
    r = client.get("/no-such-page/")
    assert r.status_code == 404
    assert "Page not found" in r.content.decode()


def test_signup_form_errors_are_shown(client):
    r = client.post("/accounts/signup/", {"username": "x", "password1": "a", "password2": "b"})
    assert r.status_code == 200
    assert "The two password fields didn" in r.content.decode()


def test_seed_demo_is_idempotent(db):
    from django.core.management import call_command

    from community.models import User

    call_command("seed_demo", verbosity=0)
    first = User.objects.count()
    call_command("seed_demo", verbosity=0)
    assert User.objects.count() == first
    assert User.objects.filter(username="moderator", is_staff=True).exists()
