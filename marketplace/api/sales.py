"""API for sales."""
