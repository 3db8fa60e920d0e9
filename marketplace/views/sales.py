"""Page views for sales."""
