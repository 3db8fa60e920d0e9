"""Catalogue admin: changelists with image previews, filters and search; moderation actions
that hide/restore through the services and land in the admin log."""

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.urls import reverse

from core.visibility import Visibility
from marketplace.models import ProductStatus
from tests.community.factories import UserFactory, make_moderator
from tests.marketplace.factories import ProductFactory, ProductImageFactory, ShopFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded_categories")]


@pytest.fixture
def moderator(client):
    user = make_moderator(username="moderator")  # a "Moderators" group member, not a superuser
    client.force_login(user)
    return user


def test_changelists_render_with_previews_filters_and_search(client, moderator, media_root):
    image = ProductImageFactory(product=ProductFactory(title="淡水珍珠项链"))

    products = client.get(reverse("admin:marketplace_product_changelist"), {"q": "珍珠", "status__exact": "active"})
    product = client.get(reverse("admin:marketplace_product_change", args=[image.product_id]))
    shops = client.get(reverse("admin:marketplace_shop_changelist"), {"q": image.product.shop.slug})

    assert products.status_code == product.status_code == shops.status_code == 200
    assert "淡水珍珠项链" in products.content.decode()
    assert image.thumb_url in products.content.decode() and image.thumb_url in product.content.decode()


def test_categories_are_kept_by_superusers_not_moderators(client, moderator):
    assert client.get(reverse("admin:marketplace_category_changelist")).status_code == 403
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    categories = client.get(reverse("admin:marketplace_category_changelist"))
    assert categories.status_code == 200 and "jewellery/necklaces" in categories.content.decode()


def test_hide_and_restore_products_are_logged(client, moderator):
    product = ProductFactory()
    url = reverse("admin:marketplace_product_changelist")

    client.post(url, {"action": "hide", "_selected_action": [product.pk]})
    product.refresh_from_db()
    hidden = product.visibility
    client.post(url, {"action": "restore", "_selected_action": [product.pk]})
    product.refresh_from_db()

    assert (hidden, product.visibility, product.status) == (Visibility.HIDDEN, Visibility.VISIBLE, ProductStatus.ACTIVE)
    messages = list(
        LogEntry.objects.filter(object_id=str(product.pk), action_flag=CHANGE, user=moderator)
        .order_by("id")
        .values_list("change_message", flat=True)
    )
    assert messages == ["Hidden by moderator", "Restored by moderator"]


def test_hiding_a_shop_hides_its_products_from_buyers(client, moderator):
    product = ProductFactory(title="Pearl")

    client.post(reverse("admin:marketplace_shop_changelist"), {"action": "hide", "_selected_action": [product.shop_id]})

    product.shop.refresh_from_db()
    assert product.shop.visibility == Visibility.HIDDEN
    assert LogEntry.objects.filter(object_id=str(product.shop_id), change_message="Hidden by moderator").exists()
    client.logout()
    assert client.get(product.get_absolute_url()).status_code == 404


def test_non_staff_cannot_moderate(client):
    product = ProductFactory()
    client.force_login(ShopFactory().owner)

    response = client.post(
        reverse("admin:marketplace_product_changelist"), {"action": "hide", "_selected_action": [product.pk]}
    )

    product.refresh_from_db()
    assert response.status_code == 302 and product.status == ProductStatus.ACTIVE
