"""Moderator tools: bulk approval/rejection of deals (logged), the sale clock's schedules in
admin."""

from importlib import import_module

import pytest
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from config.celery import app
from marketplace.models import Deal, DealStatus
from tests.community.factories import UserFactory
from tests.marketplace.factories import DealFactory, SaleEventFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_moderators_approve_and_reject_deals_in_bulk_and_it_is_logged(moderator_client):
    sale = SaleEventFactory()
    pending = DealFactory.create_batch(3, sale=sale, status=DealStatus.PENDING)
    url = reverse("admin:marketplace_deal_changelist")

    approved = moderator_client.post(
        url, {"action": "approve_deals", "_selected_action": [d.id for d in pending[:2]]}, follow=True
    )
    rejected = moderator_client.post(url, {"action": "reject_deals", "_selected_action": [pending[2].id]}, follow=True)

    assert "2 deal(s) approved." in approved.content.decode()
    assert "1 deal(s) rejected." in rejected.content.decode()
    assert sorted(Deal.objects.values_list("status", flat=True)) == ["approved", "approved", "rejected"]
    assert LogEntry.objects.filter(action_flag=CHANGE).count() == 3


def test_the_sale_clock_schedules_are_seeded_and_point_at_registered_tasks(moderator_client):
    # the data migration's rows (re-run: it is idempotent, and transactional tests flush tables)
    import_module("marketplace.migrations.0004_sales_periodic_tasks").forwards(apps, None)
    tasks = dict(PeriodicTask.objects.filter(enabled=True).values_list("name", "task"))

    assert tasks["Sale clock"] == "marketplace.tasks.sales.sale_clock_tick"
    assert tasks["Expire unpaid orders"] == "marketplace.tasks.sales.orders_expire_overdue"
    assert tasks["Sale leaderboards"] == "marketplace.tasks.sales.sale_rankings_recompute"
    app.loader.import_default_modules()
    assert {tasks["Sale clock"], tasks["Expire unpaid orders"], tasks["Sale leaderboards"]} <= set(app.tasks)
    clock = PeriodicTask.objects.get(name="Sale clock")
    assert (clock.interval.every, clock.interval.period) == (10, "seconds")

    listing = moderator_client.get(reverse("admin:django_celery_beat_periodictask_changelist")).content.decode()
    assert "Sale clock" in listing and "Sale leaderboards" in listing


def test_sale_admin_pages_render(moderator_client):
    sale = SaleEventFactory()
    DealFactory(sale=sale)

    for url in (
        reverse("admin:marketplace_saleevent_changelist"),
        reverse("admin:marketplace_saleevent_change", args=[sale.id]),
        reverse("admin:marketplace_deal_changelist"),
        reverse("admin:marketplace_voucher_changelist"),
    ):
        assert moderator_client.get(url).status_code == 200


def test_a_voucher_edited_or_deleted_in_admin_shows_on_the_next_request(
    moderator_client, django_capture_on_commit_callbacks
):
    from decimal import Decimal

    from django.test import Client
    from django.utils import timezone

    from tests.marketplace.factories import ProductFactory, ShopFactory, VoucherFactory

    # given a product page cached with its shop's voucher in the box
    shop = ShopFactory(name="Meimei Pearls")
    url = ProductFactory(shop=shop, title="Pearl necklace").get_absolute_url()
    voucher = VoucherFactory(shop=shop, min_spend=Decimal("199.00"), discount=Decimal("20.00"))
    assert "¥20.00 off" in Client().get(url).content.decode()

    # when a moderator changes its discount in admin
    start, end = (timezone.localtime(voucher.valid_from), timezone.localtime(voucher.valid_until))
    form = {
        "shop": shop.pk,
        "title": "",
        "min_spend": "199.00",
        "discount": "30.00",
        "total": 10,
        "valid_from_0": start.strftime("%Y-%m-%d"),
        "valid_from_1": start.strftime("%H:%M:%S"),
        "valid_until_0": end.strftime("%Y-%m-%d"),
        "valid_until_1": end.strftime("%H:%M:%S"),
    }
    with django_capture_on_commit_callbacks(execute=True):
        changed = moderator_client.post(reverse("admin:marketplace_voucher_change", args=[voucher.pk]), form)
    assert changed.status_code == 302

    # then the next visitor sees the new discount, and once it is deleted, no voucher
    page = Client().get(url).content.decode()
    assert "¥30.00 off" in page and "¥20.00 off" not in page
    with django_capture_on_commit_callbacks(execute=True):
        deleted = moderator_client.post(reverse("admin:marketplace_voucher_delete", args=[voucher.pk]), {"post": "yes"})
    assert deleted.status_code == 302
    assert "¥30.00 off" not in Client().get(url).content.decode()
