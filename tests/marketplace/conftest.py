"""Fixtures for the marketplace tests."""

import pytest


@pytest.fixture
def media_root(settings, tmp_path):
    """Uploaded files go to a temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def celery_eager():
    """Run Celery tasks in-process (what ``.delay`` does in these tests)."""
    from config.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def seeded_categories(db):
    """The category tree of the data migration, whatever ran before this test."""
    from tests.marketplace.catalogue_support import seed_categories

    seed_categories()
