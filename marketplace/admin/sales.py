"""Admin for sales."""
