"""Vouchers a shopper can find: a shop's claimable vouchers with a claim button on its shop page
and product pages (a per-request slot, so whether you claimed is yours even on a page served
whole from the anonymous cache), participating shops' vouchers on the sale page, and the seller's
voucher management (offer, see claimed/used, end now), linked from the dashboard."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.errors import ApplicationError
from marketplace.models import Voucher
from marketplace.services import sales as sale_services
from marketplace.services.checkout import checkout_submit
from tests.community.factories import UserFactory
from tests.marketplace.factories import (
    DealFactory,
    ProductFactory,
    SaleEventFactory,
    ShopFactory,
    VoucherFactory,
    fill_cart,
    make_product,
)

pytestmark = pytest.mark.django_db


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def box(html: str) -> str:
    start = html.index('aria-labelledby="voucher-box-title"')
    return html[start : html.index("</section>", start)]


# --- shop and product pages -------------------------------------------------------------------


def test_an_anonymous_shopper_sees_the_vouchers_on_the_cached_product_page(client, django_capture_on_commit_callbacks):
    # given a product whose shop offers a voucher, its page already cached for anonymous visitors
    product = ProductFactory()
    VoucherFactory(shop=product.shop, min_spend=Decimal("199.00"), discount=Decimal("20.00"))
    first = box(page(client, product.get_absolute_url()))
    assert "¥20.00 off" in first and "on ¥199.00+" in first
    assert "Log in to claim" in first and "/login/?next=" in first

    # when the page comes whole from the cache, then the box is there and no query ran
    with CaptureQueriesContext(connection) as queries:
        again = page(client, product.get_absolute_url())
    assert len(queries) == 0
    assert "¥20.00 off" in box(again)

    # when the seller offers another voucher, then the next anonymous visit shows it at once
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        sale_services.voucher_create(
            user=product.shop.owner,
            shop=product.shop,
            min_spend=Decimal("399.00"),
            discount=Decimal("50.00"),
            total=5,
            valid_from=now,
            valid_until=now + timedelta(days=1),
        )
    assert "¥50.00 off" in box(page(client, product.get_absolute_url()))


def test_a_signed_in_shopper_claims_on_the_product_page_and_sees_it_claimed(
    client, user, django_capture_on_commit_callbacks
):
    product = ProductFactory()
    voucher = VoucherFactory(shop=product.shop, total=3)
    client.force_login(user)
    url = product.get_absolute_url()
    assert f'action="/vouchers/{voucher.pk}/claim/"' in box(page(client, url))

    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(f"/vouchers/{voucher.pk}/claim/", {"next": url})
    assert r["Location"] == url

    claimed = box(page(client, url))
    assert "Claimed" in claimed and f'action="/vouchers/{voucher.pk}/claim/"' not in claimed
    # another shopper still gets the claim button
    client.force_login(UserFactory())
    assert f'action="/vouchers/{voucher.pk}/claim/"' in box(page(client, url))


def test_the_shop_page_shows_its_vouchers_and_the_owner_a_manage_link(client):
    shop = ShopFactory()
    VoucherFactory(shop=shop, discount=Decimal("15.00"))
    VoucherFactory(shop=shop, valid_from=timezone.now() - timedelta(days=3), valid_until=timezone.now())  # ended
    VoucherFactory(shop=shop, discount=Decimal("30.00"), total=1, claimed_count=1)  # all claimed
    html = box(page(client, shop.get_absolute_url()))
    assert html.count("data-voucher=") == 1 and "¥15.00 off" in html
    client.force_login(shop.owner)
    owner = box(page(client, shop.get_absolute_url()))
    assert "Manage your vouchers" in owner and "/claim/" not in owner


def test_a_shop_without_vouchers_shows_no_box(client):
    product = ProductFactory()
    assert 'voucher-box-title"' not in page(client, product.get_absolute_url())


# --- the sale page -----------------------------------------------------------------------------


def sale_now():
    now = timezone.now()
    return SaleEventFactory(starts_at=now - timedelta(minutes=1), ends_at=now + timedelta(hours=1))


def test_the_sale_page_lists_participating_shops_vouchers(client, user):
    sale = sale_now()
    deal = DealFactory(sale=sale)
    in_sale = VoucherFactory(shop=deal.product.shop, discount=Decimal("12.00"))
    VoucherFactory(discount=Decimal("99.00"), min_spend=Decimal("500.00"))  # a shop not in the sale
    sale_services.voucher_claim(user=user, voucher_id=in_sale.pk)
    client.force_login(user)
    html = page(client, f"/sales/{sale.slug}/")
    section = html[html.index('id="sale-vouchers-title"') :]
    assert "Save ¥12.00" in section and "Save ¥99.00" not in section
    assert deal.product.shop.name in section
    assert "Claimed" in section


@pytest.mark.parametrize("shops", [1, 6])
def test_sale_page_vouchers_query_count_is_flat(client, user, django_assert_num_queries, shops):
    sale = sale_now()
    for _ in range(shops):
        deal = DealFactory(sale=sale)
        VoucherFactory.create_batch(2, shop=deal.product.shop)
    client.force_login(user)
    page(client, f"/sales/{sale.slug}/")  # warm the deal cards' cache
    # the warm sale page's five (sale, counters, categories, shops, rankings), the vouchers with
    # the visitor's claims (one), and one more of the page's (the session, and the user with the
    # header's badge, come from the cache): the same for 2 vouchers or 12
    with django_assert_num_queries(7):
        html = page(client, f"/sales/{sale.slug}/")
    assert html.count('class="voucher"') == 2 * shops


# --- the seller's voucher management -----------------------------------------------------------


def test_the_dashboard_links_to_offering_and_managing_vouchers(client):
    shop = ShopFactory()
    client.force_login(shop.owner)
    html = page(client, "/sell/")
    assert 'href="/sell/vouchers/"' in html
    assert f'href="/shops/{shop.slug}/vouchers/new/"' in html


def test_a_seller_offers_sees_and_ends_a_voucher(client, user, django_capture_on_commit_callbacks):
    shop = ShopFactory()
    client.force_login(shop.owner)
    now = timezone.localtime()
    form = {
        "title": "Warm-up",
        "min_spend": "100",
        "discount": "10",
        "total": "50",
        "valid_from": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "valid_until": (now + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
    }
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/shops/{shop.slug}/vouchers/new/", form)["Location"] == "/sell/vouchers/"
    voucher = Voucher.objects.get()
    sale_services.voucher_claim(user=user, voucher_id=voucher.pk)

    listing = page(client, "/sell/vouchers/")
    assert "Warm-up" in listing and "1 of 50" in listing and "Live" in listing

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/sell/vouchers/{voucher.pk}/end/")
    assert "Ended" in page(client, "/sell/vouchers/")
    assert 'voucher-box-title"' not in page(client, shop.get_absolute_url())
    # the claim made before can no longer be used
    product = make_product(shop=shop, price=Decimal("120.00"))
    fill_cart(user, (product, 1))
    claim = voucher.claims.get()
    with pytest.raises(ApplicationError) as refused:
        checkout_submit(buyer=user, voucher_claim_ids=[claim.pk])
    assert refused.value.code == "voucher_not_valid"


def test_only_the_owner_ends_a_voucher(user):
    voucher = VoucherFactory()
    with pytest.raises(ApplicationError) as refused:
        sale_services.voucher_end(user=user, voucher_id=voucher.pk)
    assert refused.value.status == 403
    voucher.refresh_from_db()
    assert voucher.valid_until > timezone.now()


@pytest.mark.parametrize("rows", [2, 12])
def test_seller_vouchers_page_query_count_is_flat(client, django_assert_num_queries, rows):
    shop = ShopFactory()
    VoucherFactory.create_batch(rows, shop=shop)
    client.force_login(shop.owner)
    # user with the inbox badge (the session is cached), the shop, the vouchers with their used counts
    with django_assert_num_queries(3):
        html = page(client, "/sell/vouchers/")
    assert html.count("data-voucher=") == rows
