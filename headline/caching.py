"""Headline's cache tags (``core.cache``): what its page-slot contributions depend on. The story
services bump them on commit whenever what those contributions show may change; likes and
comments only change counts, which may lag by at most ``core.cache.MAX_TTL``."""

from collections.abc import Iterable

from core.cache import bump_on_commit

#: The home page's headline section: today's topic and its best stories.
HOME_TAG = "headline:v:home"


def product_tag(product_id: int) -> str:
    """Stories about a product on its page."""
    return f"headline:v:product:{product_id}"


def shop_tag(shop_slug: str) -> str:
    """Stories about a shop on its page (shop pages are keyed by slug)."""
    return f"headline:v:shop:{shop_slug}"


def story_tags_bump(*, product_ids: Iterable[int] = (), shop_slugs: Iterable[str] = ()) -> None:
    """After commit, invalidate the home section and the product and shop pages showing a story
    that mentions these products and shops (the products' shops are in ``shop_slugs`` too)."""
    bump_on_commit(HOME_TAG, *(product_tag(i) for i in set(product_ids)), *(shop_tag(s) for s in set(shop_slugs)))
