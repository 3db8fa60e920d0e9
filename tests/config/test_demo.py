"""The demo data tells the story (issue 9): every login printed (the owners of all four shops),
one sale live now with deal prices, a 12.12 sale on 12 December, a past sale, each seller's month
of revenue, no cart item nobody chose, and a favicon."""

from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.utils import timezone

from marketplace.models import CartItem, SaleEvent, Shop
from marketplace.selectors.catalogue import product_list_public
from marketplace.selectors.dashboard import shop_revenue_by_day
from marketplace.selectors.sales import sale_list

pytestmark = pytest.mark.django_db


def test_the_demo_data_tells_the_story(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    out = StringIO()

    # when the demo data is seeded
    call_command("seed_demo", verbosity=0, stdout=out)
    now = timezone.now()

    # then every demo login is printed with the one password, including the owners of all four
    # shops, and each of them signs in with it
    printed = out.getvalue()
    password = printed.split("password for all: ")[1].split(")")[0]
    owners = set(Shop.objects.values_list("owner__username", flat=True))
    assert len(owners) == 4
    for username in owners | {"moderator", "lili", "wei", "amei", "reader01"}:
        assert f"  {username} " in printed, username
        assert authenticate(username=username, password=password) is not None, username

    # and one sale is live now, so deal prices show at once on the market page
    by_status = {}
    for sale in sale_list(now=now):
        by_status.setdefault(sale.current_status, []).append(sale)
    assert len(by_status["live"]) >= 1 and all(sale.banner for sale in SaleEvent.objects.all())
    assert any(p.effective_price < p.price for p in product_list_public(now=now))
    # and the 12.12 sale is dated 12 December (local), and a past sale has ended
    double_12 = SaleEvent.objects.get(slug="double-12")
    starts = timezone.localtime(double_12.starts_at)
    assert (starts.month, starts.day, starts.hour) == (12, 12, 0) and double_12.ends_at > now
    assert "12.12" in double_12.name
    assert by_status["ended"]

    # and each seller's dashboard chart has revenue on several days of the last 30
    for shop in Shop.objects.all():
        days_with_sales = [day for day, revenue in shop_revenue_by_day(shop=shop, days=30) if revenue]
        assert len(days_with_sales) >= 5, shop.slug

    # and nobody finds anything in a cart that they did not put there
    assert not CartItem.objects.exists()

    # and the site has a favicon, where pages name it and where browsers look for it
    page = client.get("/").content.decode()
    assert 'rel="icon"' in page and "favicon.svg" in page
    favicon = client.get("/favicon.ico")
    assert favicon.status_code == 302 and favicon["Location"].endswith("favicon.ico")
