"""Shop vouchers: offering, claiming (one per user, never more than the total, under real
concurrency on PostgreSQL), the API and the pages."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from core.errors import ApplicationError
from marketplace.models import Voucher, VoucherClaim
from marketplace.services import sales as sale_services
from tests.community.factories import PASSWORD, UserFactory
from tests.concurrency import raised, run_concurrently
from tests.marketplace.factories import ShopFactory, VoucherClaimFactory, VoucherFactory

# --- Services -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_shop_owner_offers_a_voucher():
    shop = ShopFactory()
    now = timezone.now()

    voucher = sale_services.voucher_create(
        user=shop.owner,
        shop=shop,
        title="12.12",
        min_spend=Decimal("200"),
        discount=Decimal("30"),
        total=100,
        valid_from=now,
        valid_until=now + timedelta(days=2),
    )

    assert (voucher.shop, voucher.total, voucher.claimed_count, str(voucher)) == (shop, 100, 0, "12.12")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("terms", "code"),
    [
        ({"discount": Decimal("200")}, "bad_discount"),
        ({"discount": Decimal("0")}, "bad_discount"),
        ({"total": 0}, "bad_total"),
        ({"valid_until_offset": timedelta(0)}, "bad_validity"),
    ],
)
def test_voucher_terms_are_validated(terms, code):
    shop = ShopFactory()
    now = timezone.now()
    args = {"min_spend": Decimal("200"), "discount": Decimal("30"), "total": 5, "valid_from": now}
    args["valid_until"] = now + terms.pop("valid_until_offset", timedelta(days=1))
    args.update(terms)

    with pytest.raises(ApplicationError) as refused:
        sale_services.voucher_create(user=shop.owner, shop=shop, **args)

    assert refused.value.code == code
    assert not Voucher.objects.exists()


@pytest.mark.django_db
def test_only_the_owner_offers_vouchers(user):
    now = timezone.now()
    with pytest.raises(ApplicationError) as refused:
        sale_services.voucher_create(
            user=user,
            shop=ShopFactory(),
            min_spend=Decimal("10"),
            discount=Decimal("1"),
            total=1,
            valid_from=now,
            valid_until=now + timedelta(days=1),
        )
    assert refused.value.status == 403


@pytest.mark.django_db
def test_claiming_counts_once_per_user(user):
    voucher = VoucherFactory(total=2)

    claim = sale_services.voucher_claim(user=user, voucher_id=voucher.id)
    with pytest.raises(ApplicationError) as again:
        sale_services.voucher_claim(user=user, voucher_id=voucher.id)

    assert (claim.voucher_id, claim.user_id, claim.used_at) == (voucher.id, user.id, None)
    assert (again.value.status, again.value.code) == (409, "already_claimed")
    voucher.refresh_from_db()
    assert voucher.claimed_count == 1


@pytest.mark.django_db
def test_no_claims_past_the_total_after_expiry_or_on_your_own_shop(user):
    gone = VoucherFactory(total=1)
    sale_services.voucher_claim(user=UserFactory(), voucher_id=gone.id)
    now = timezone.now()
    expired = VoucherFactory(valid_from=now - timedelta(days=2), valid_until=now - timedelta(seconds=1))
    own = VoucherFactory(shop=ShopFactory(owner=user))

    refusals = {}
    for name, voucher_id in (("gone", gone.id), ("expired", expired.id), ("own", own.id), ("missing", 0)):
        with pytest.raises(ApplicationError) as refused:
            sale_services.voucher_claim(user=user, voucher_id=voucher_id)
        refusals[name] = (refused.value.status, refused.value.code)

    assert refusals == {
        "gone": (409, "vouchers_gone"),
        "expired": (409, "voucher_expired"),
        "own": (403, "own_voucher"),
        "missing": (404, "not_found"),
    }
    assert not VoucherClaim.objects.filter(user=user).exists()
    gone.refresh_from_db()
    assert gone.claimed_count == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_never_exceed_the_total(postgres):
    # given 5 vouchers and 30 different buyers claiming at the same instant
    voucher = VoucherFactory(total=5)
    buyers = [UserFactory() for _ in range(30)]

    results = run_concurrently([lambda u=u: sale_services.voucher_claim(user=u, voucher_id=voucher.id) for u in buyers])

    # then exactly 5 won, the rest were told they are gone, and the counter agrees with the rows
    won = [r for r in results if not isinstance(r, Exception)]
    refused = [r.code for r in raised(results)]
    voucher.refresh_from_db()
    assert len(won) == 5
    assert refused == ["vouchers_gone"] * 25
    assert voucher.claimed_count == 5
    assert VoucherClaim.objects.filter(voucher=voucher).count() == 5


@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_by_one_user_give_one_claim(postgres):
    # given one buyer double-clicking 10 times at once
    voucher = VoucherFactory(total=50)
    buyer = UserFactory()

    results = run_concurrently([lambda: sale_services.voucher_claim(user=buyer, voucher_id=voucher.id)] * 10)

    # then one claim exists and the counter was rolled back for the losers
    won = [r for r in results if not isinstance(r, Exception)]
    refused = [r.code for r in raised(results)]
    voucher.refresh_from_db()
    assert len(won) == 1
    assert refused == ["already_claimed"] * 9
    assert voucher.claimed_count == 1
    assert VoucherClaim.objects.filter(voucher=voucher, user=buyer).count() == 1


# --- API ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_lists_a_shops_vouchers_with_my_claims(api_client, user):
    shop = ShopFactory()
    claimed = VoucherFactory(shop=shop, min_spend=Decimal("50"), total=3, claimed_count=1)
    VoucherClaimFactory(voucher=claimed, user=user)
    VoucherFactory(shop=shop, min_spend=Decimal("100"))
    api_client.force_authenticate(user)

    response = api_client.get(f"/api/v1/shops/{shop.slug}/vouchers/")

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(r["id"], r["remaining"], r["claimed_by_me"]) for r in rows][0] == (claimed.id, 2, True)
    assert rows[1]["claimed_by_me"] is False
    assert rows[0]["claim_url"] == f"/api/v1/vouchers/{claimed.id}/claim/"


@pytest.mark.django_db
@pytest.mark.parametrize("size", [5, 50])
def test_api_voucher_list_query_count_is_flat(api_client, user, django_assert_num_queries, size):
    shop = ShopFactory()
    VoucherFactory.create_batch(size, shop=shop)
    api_client.force_authenticate(user)

    with django_assert_num_queries(3):  # shop, count, page
        response = api_client.get(f"/api/v1/shops/{shop.slug}/vouchers/?page_size=100")

    assert len(response.json()["results"]) == size


@pytest.mark.django_db
def test_api_owner_creates_a_voucher_and_others_cannot(api_client, user):
    shop = ShopFactory()
    now = timezone.now()
    body = {
        "title": "Warm-up",
        "min_spend": "150.00",
        "discount": "20.00",
        "total": 10,
        "valid_from": now.isoformat(),
        "valid_until": (now + timedelta(days=1)).isoformat(),
    }

    api_client.force_authenticate(user)
    refused = api_client.post(f"/api/v1/shops/{shop.slug}/vouchers/", body)
    api_client.force_authenticate(shop.owner)
    created = api_client.post(f"/api/v1/shops/{shop.slug}/vouchers/", body)

    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "not_your_shop"
    assert created.status_code == 201
    assert created.json()["remaining"] == 10
    assert Voucher.objects.get().title == "Warm-up"


@pytest.mark.django_db
def test_api_claim_answers_201_then_409_and_401_when_anonymous(api_client, user):
    voucher = VoucherFactory(total=5)

    anonymous = api_client.post(f"/api/v1/vouchers/{voucher.id}/claim/")
    api_client.force_authenticate(user)
    first = api_client.post(f"/api/v1/vouchers/{voucher.id}/claim/")
    second = api_client.post(f"/api/v1/vouchers/{voucher.id}/claim/")

    assert anonymous.status_code == 401
    assert first.status_code == 201
    assert first.json()["voucher"] == voucher.id
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "already_claimed"


# --- Pages ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_voucher_page_claims_with_a_button_and_shows_it_claimed(client, user):
    voucher = VoucherFactory(min_spend=Decimal("100.00"), discount=Decimal("15.00"), total=3)
    url = reverse("marketplace:shop_vouchers", kwargs={"slug": voucher.shop.slug})
    client.login(username=user.username, password=PASSWORD)

    before = client.get(url)
    claimed = client.post(reverse("marketplace:voucher_claim", kwargs={"pk": voucher.id}), {"next": url}, follow=True)

    assert "Claim voucher" in before.content.decode()
    assert claimed.redirect_chain[-1][0] == url
    page = claimed.content.decode()
    assert "Voucher claimed" in page
    assert "Claimed" in page
    assert "2 of 3 left" in page


@pytest.mark.django_db
def test_voucher_page_claim_shows_the_refusal_as_a_message(client, user):
    voucher = VoucherFactory(total=1)
    sale_services.voucher_claim(user=UserFactory(), voucher_id=voucher.id)
    client.login(username=user.username, password=PASSWORD)

    response = client.post(reverse("marketplace:voucher_claim", kwargs={"pk": voucher.id}), follow=True)

    assert "All of these vouchers have been claimed." in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("size", [5, 50])
def test_voucher_page_query_count_is_flat(client, user, django_assert_num_queries, size):
    shop = ShopFactory()
    VoucherFactory.create_batch(size, shop=shop)
    client.login(username=user.username, password=PASSWORD)

    with django_assert_num_queries(3):  # user with the unread-notification badge, shop, vouchers
        response = client.get(reverse("marketplace:shop_vouchers", kwargs={"slug": shop.slug}))

    assert response.content.decode().count("Claim voucher") == size


@pytest.mark.django_db
def test_owner_offers_a_voucher_from_the_page(client):
    shop = ShopFactory()
    client.login(username=shop.owner.username, password=PASSWORD)
    url = reverse("marketplace:voucher_create", kwargs={"slug": shop.slug})
    form = {"min_spend": "100", "total": "5", "valid_from": "2030-12-01T00:00", "valid_until": "2030-12-13T00:00"}

    refused = client.post(url, {**form, "discount": "100"})
    offered = client.post(url, {**form, "discount": "10"})

    assert "The saving must be above 0 and below the minimum spend." in refused.content.decode()
    assert offered.status_code == 302
    assert Voucher.objects.get(shop=shop).discount == Decimal("10.00")


@pytest.mark.django_db
def test_only_the_owner_sees_the_voucher_form(client, user):
    shop = ShopFactory()
    client.login(username=user.username, password=PASSWORD)

    response = client.get(reverse("marketplace:voucher_create", kwargs={"slug": shop.slug}), follow=True)

    assert "Only the shop&#x27;s owner can offer its vouchers." in response.content.decode()
    assert "Offer a voucher" not in response.content.decode()
