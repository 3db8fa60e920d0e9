"""Page views, by sub-domain (thin: validate, call a service or selector, render)."""
