"""Admin for catalogue."""
