"""Page views for orders."""
