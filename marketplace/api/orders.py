"""API for orders."""
