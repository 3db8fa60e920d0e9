"""What live rooms render into other apps' pages (core/slots.py), registered in
``LivestreamConfig.ready()``."""

from django.template.loader import render_to_string

from core import slots
from livestream.caching import product_live_tag
from livestream.selectors import product_live_summary


def product_live(*, product_id, **_values) -> str:
    """``product.beside_buy_box`` (shared, cached with the product page under
    :func:`product_live_tag`): "live now" when a room featuring the product is live, and the
    verdict of live shows' viewers ("82% yea from 3,140 votes, latest in …"). One query."""
    live_room, verdict = product_live_summary(product_id=product_id)
    if live_room is None and verdict is None:
        return ""
    return render_to_string("livestream/_product_slot.html", {"live_room": live_room, "verdict": verdict})


def product_live_tags(*, product_id, **_keys) -> list[str]:
    return [product_live_tag(product_id)]


def register() -> None:
    slots.register("product.beside_buy_box", product_live, order=30, tags=product_live_tags)
