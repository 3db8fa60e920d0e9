"""Live rooms' error codes (``core.errors``): the ``code`` of every refusal, over the API and in
the room socket's ``error`` frames. docs/api.md lists them with their HTTP status and meaning."""

from core.errors import ErrorCode


class LiveErrorCode(ErrorCode):
    """Rooms, shows, stream keys, chat, pins, votes, deals in the room."""

    INVALID = "invalid"
    INVALID_STATUS = "invalid_status"
    PERMISSION_DENIED = "permission_denied"
    SHELF_TOO_LONG = "shelf_too_long"
    INVALID_PRODUCTS = "invalid_products"
    NO_SHOP = "no_shop"
    INVALID_TRANSITION = "invalid_transition"
    BAD_STREAM_KEY = "bad_stream_key"
    NO_ROOM = "no_room"
    NOT_SCHEDULED = "not_scheduled"
    SIGN_IN = "sign_in"
    EMPTY = "empty"
    TOO_LONG = "too_long"
    BLOCKED_TERM = "blocked_term"
    HELD_FOR_REVIEW = "held_for_review"
    RATE_LIMITED = "rate_limited"
    ROOM_ENDED = "room_ended"
    NOT_LIVE = "not_live"
    NOT_ON_SHELF = "not_on_shelf"
    NO_DEAL = "no_deal"
    INVALID_VOTE = "invalid_vote"
    NOT_FEATURED = "not_featured"
    BAD_FRAME = "bad_frame"
    UNKNOWN_TYPE = "unknown_type"
