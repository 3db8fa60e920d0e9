"""Community test actors."""

import pytest

from tests.community.factories import make_product, make_shop


@pytest.fixture
def shop(db):
    return make_shop()


@pytest.fixture
def product(db):
    return make_product()
