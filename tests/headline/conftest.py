"""Headline test fixtures."""

from tests.marketplace.conftest import celery_eager, media_root  # noqa: F401  (shared fixtures)
