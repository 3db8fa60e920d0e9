"""Page views for catalogue."""
