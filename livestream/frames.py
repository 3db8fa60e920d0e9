"""Builders of the room's frames (docs/live-protocol.md): one place for their shapes."""

from core.realtime import frame
from livestream.models import ChatMessage, RoomPin, RoomProduct


def chat_frame(message: ChatMessage, *, name: str) -> dict:
    return frame(
        "chat", id=message.pk, user=message.user_id, name=name, text=message.text, at=message.created_at.isoformat()
    )


def _deal_frame(deal) -> dict | None:
    if deal is None:
        return None
    return {
        "id": deal.pk,
        "price": str(deal.deal_price),
        "quantity": deal.flash_quantity,
        "sold": deal.flash_sold,
        "per_buyer_limit": deal.per_buyer_limit,
        "ends_at": deal.ends_at.isoformat() if deal.ends_at else None,
    }


def pin_frame(pin: RoomPin | None, *, product=None) -> dict:
    """``pin`` event: the featured product's card (live price, links) and its deal, or null."""
    if pin is None:
        return frame("pin", pin=None)
    product = product or pin.product
    return frame(
        "pin",
        pin={
            "id": pin.pk,
            "product": {
                "id": product.pk,
                "title": product.title,
                "price": str(getattr(product, "effective_price", product.price)),
                "list_price": str(product.price),
                "shop": product.shop.name,
                "visit_product": f"/live/{pin.room_id}/go/product/{product.pk}/",
                "visit_shop": f"/live/{pin.room_id}/go/shop/{product.shop_id}/",
            },
            "deal": _deal_frame(pin.deal),
        },
    )


def tally_frame(shelf: RoomProduct) -> dict:
    return frame("tally", product=shelf.product_id, yea=shelf.yea, nay=shelf.nay)
