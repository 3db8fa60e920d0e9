"""Livestream test settings."""

import pytest


@pytest.fixture(autouse=True)
def _fast_presence(settings):
    """Viewer heartbeats every half second so counts settle quickly in tests."""
    settings.LIVE_PRESENCE_SECONDS = 0.5
