"""Headline's cache tags (``core.cache``): what its page-slot contributions depend on. The story
services bump them on commit whenever what those contributions show may change; likes and
comments only change counts, which may lag by at most ``core.cache.MAX_TTL``."""

from collections.abc import Iterable

from core.cache import bump_on_commit

#: The home page's headline section: today's topic and its best stories.
HOME_TAG = "headline:v:home"


def product_tag(product_id: int) -> str:
    """ "Stories about this" on a product page."""
    return f"headline:v:product:{product_id}"


def shop_tag(shop_id: int) -> str:
    """ "Stories about this shop" on a shop page."""
    return f"headline:v:shop:{shop_id}"


def story_tags_bump(*, product_ids: Iterable[int] = (), shop_ids: Iterable[int] = ()) -> None:
    """After commit, invalidate the home section and the product and shop pages showing a story
    that mentions these products and shops (the products' shops are passed in ``shop_ids``)."""
    bump_on_commit(HOME_TAG, *(product_tag(i) for i in set(product_ids)), *(shop_tag(i) for i in set(shop_ids)))
