"""The one hide/restore mixin (core/admin.py): every moderated admin uses it, each change goes
through the app's service and into the admin log, and the moderator is told the counts."""

import pytest
from django.contrib import admin
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Permission

from community.models import Answer, Question
from core.admin import VisibilityActionsMixin
from core.visibility import Visibility
from marketplace.models import Product, ProductStatus, Review, Shop
from tests.community.factories import UserFactory, make_moderator
from tests.marketplace.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", [Shop, Product, Review, Question, Answer])
def test_every_moderated_admin_uses_the_mixin(model):
    model_admin = admin.site.get_model_admin(model)
    assert isinstance(model_admin, VisibilityActionsMixin)
    assert {"hide", "restore"} <= set(model_admin.get_actions(_moderator_request()))


def _moderator_request():
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = make_moderator()
    return request


def test_hiding_reports_counts_and_logs_each_change(client):
    # given a moderator, an active product and one already hidden
    moderator = make_moderator()
    client.force_login(moderator)
    active, hidden = ProductFactory(), ProductFactory(visibility=Visibility.HIDDEN)
    url = "/admin/marketplace/product/"
    # when both are hidden, then both restored
    hid = client.post(url, {"action": "hide", "_selected_action": [active.pk, hidden.pk]}, follow=True)
    restored = client.post(url, {"action": "restore", "_selected_action": [active.pk, hidden.pk]}, follow=True)
    # then the moderator is told what changed and what already was so
    assert "1 product hidden. 1 was hidden already." in hid.content.decode()
    assert "2 products restored." in restored.content.decode()
    assert set(Product.objects.values_list("status", flat=True)) == {ProductStatus.ACTIVE}
    # and each change is one admin-log entry by the moderator
    log = LogEntry.objects.filter(user=moderator, action_flag=CHANGE)
    assert sorted((e.object_id, e.change_message) for e in log) == [
        (str(active.pk), "Hidden by moderator"),
        (str(active.pk), "Restored by moderator"),
        (str(hidden.pk), "Restored by moderator"),
    ]


def test_the_actions_need_the_moderate_permission(client):
    # given staff who may only view products (not community.moderate)
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_product"))
    client.force_login(viewer)
    product = ProductFactory()
    # when they try to hide one
    response = client.post("/admin/marketplace/product/", {"action": "hide", "_selected_action": [product.pk]})
    # then nothing changes (the action is not offered to them)
    product.refresh_from_db()
    assert product.visibility == Visibility.VISIBLE
    assert response.status_code in (200, 302)
    assert not LogEntry.objects.exists()


def test_the_actions_speak_chinese(client):
    client.force_login(make_moderator())
    ProductFactory()
    page = client.get("/admin/marketplace/product/", headers={"accept-language": "zh-CN"}).content.decode()
    assert "隐藏所选" in page and "恢复所选" in page
