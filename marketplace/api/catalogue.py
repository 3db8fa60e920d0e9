"""API for catalogue."""
