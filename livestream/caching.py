"""Livestream's cache tags (the machinery is ``core/cache.py``)."""


def product_live_tag(product_id: int) -> str:
    """What live rooms show on a product's page (the verdict, "live now"): bumped when a vote
    moves the rounded verdict, and when a room with the product on its shelf goes live or ends."""
    return f"live:v:p:{product_id}"
