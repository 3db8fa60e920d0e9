"""REST API (DRF), by sub-domain. Routes are in ``marketplace/api_urls.py``."""
