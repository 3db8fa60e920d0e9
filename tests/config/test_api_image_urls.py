"""Image fields in API answers are what the schema says they are: drf-spectacular documents an
``ImageField`` as ``format: uri``, so every product and story image must come back as an absolute
URL (the avatar field, documented as ``uri-reference``, is the one path on purpose)."""

import pytest
from rest_framework.test import APIClient

from tests.community.factories import UserFactory
from tests.headline.factories import StoryFactory, StoryImageFactory
from tests.marketplace.conftest import media_root  # noqa: F401  (shared fixture)
from tests.marketplace.factories import ProductFactory, ProductImageFactory

pytestmark = pytest.mark.django_db

IMAGE_KEYS = {"image", "image_320", "image_960"}


def image_values(data):
    """Every non-null value under an image key, anywhere in a JSON answer."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key in IMAGE_KEYS and isinstance(value, str):
                yield value
            else:
                yield from image_values(value)
    elif isinstance(data, list):
        for item in data:
            yield from image_values(item)


def test_the_schema_documents_image_fields_as_absolute_uris(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for name in ("ProductImage", "StoryImage"):
        properties = schema["components"]["schemas"][name]["properties"]
        assert {properties[key].get("format") for key in IMAGE_KEYS} == {"uri"}, name


@pytest.mark.usefixtures("media_root")
def test_product_and_story_images_come_back_as_absolute_urls():
    product = ProductFactory()
    ProductImageFactory(product=product, image_320="products/x-320.webp", image_960="products/x-960.webp")
    story = StoryFactory()
    StoryImageFactory(story=story)
    owner = APIClient()
    owner.force_authenticate(product.shop.owner)
    reader = APIClient()
    reader.force_authenticate(UserFactory())
    answers = [
        APIClient().get("/api/v1/products/"),
        APIClient().get(f"/api/v1/products/{product.pk}/"),
        owner.get(f"/api/v1/products/{product.pk}/images/"),
        reader.get(f"/api/v1/stories/{story.pk}/"),
    ]
    values = []
    for response in answers:
        assert response.status_code == 200, response.content
        values += list(image_values(response.json()))
    assert len(values) == 3 + 3 + 3 + 1
    assert all(value.startswith("http://testserver/media/") for value in values), values
