"""Community test actors."""

import pytest

from tests.marketplace.factories import ProductFactory, ShopFactory


@pytest.fixture
def shop(db):
    return ShopFactory()


@pytest.fixture
def product(db):
    return ProductFactory()
