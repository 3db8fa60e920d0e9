"""The marketplace's error codes: one enum per domain, used by every ``ApplicationError`` the
marketplace raises (``core.errors``). Clients see the values as ``error.code``; docs/api.md lists
them all with their HTTP status and meaning."""

from core.errors import ErrorCode


class CatalogueErrorCode(ErrorCode):
    """Shops, products and their images."""

    INVALID = "invalid"
    NO_SHOP = "no_shop"
    SHOP_EXISTS = "shop_exists"
    SLUG_TAKEN = "slug_taken"
    INVALID_STATUS = "invalid_status"
    NOT_OWNER = "not_owner"
    HIDDEN = "hidden"
    REMOVED = "removed"
    TOO_MANY_IMAGES = "too_many_images"
    IMAGE_TOO_LARGE = "image_too_large"
    IMAGE_TOO_MANY_PIXELS = "image_too_many_pixels"
    IMAGE_FORMAT = "image_format"
    IMAGE_INVALID = "image_invalid"


class CheckoutErrorCode(ErrorCode):
    """The cart and checkout: quantities, stock, sale limits, vouchers, Idempotency-Key."""

    NOT_FOUND = "not_found"
    NOT_IN_CART = "not_in_cart"
    INVALID_QUANTITY = "invalid_quantity"
    OWN_SHOP = "own_shop"
    UNAVAILABLE = "unavailable"
    SOLD_OUT = "sold_out"
    QUANTITY_UNAVAILABLE = "quantity_unavailable"
    LIMIT_REACHED = "limit_reached"
    CART_EMPTY = "cart_empty"
    INVALID_VOUCHER = "invalid_voucher"
    VOUCHER_USED = "voucher_used"
    VOUCHER_NOT_VALID = "voucher_not_valid"
    VOUCHER_WRONG_SHOP = "voucher_wrong_shop"
    VOUCHER_ONE_PER_SHOP = "voucher_one_per_shop"
    VOUCHER_MIN_SPEND = "voucher_min_spend"
    INVALID_IDEMPOTENCY_KEY = "invalid_idempotency_key"
    IDEMPOTENCY_IN_PROGRESS = "idempotency_in_progress"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    ADDRESS_REQUIRED = "address_required"


class AddressErrorCode(ErrorCode):
    """The address book: delivery addresses."""

    INVALID = "invalid"
    NOT_FOUND = "not_found"
    TOO_MANY = "too_many"


class OrderErrorCode(ErrorCode):
    """An order after checkout: payment and its lifecycle."""

    NOT_FOUND = "not_found"
    PERMISSION_DENIED = "permission_denied"
    INVALID_TRANSITION = "invalid_transition"
    ORDER_EXPIRED = "order_expired"
    PAYMENT_FAILED = "payment_failed"
    REASON_REQUIRED = "reason_required"
    REASON_TOO_LONG = "reason_too_long"
    REASON_INVALID = "reason_invalid"
    ALREADY_SHIPPED = "already_shipped"
    RETURN_WINDOW_CLOSED = "return_window_closed"
    REFUND_FAILED = "refund_failed"


class ReviewErrorCode(ErrorCode):
    """Reviews of delivered order lines."""

    NOT_FOUND = "not_found"
    NOT_AUTHOR = "not_author"
    PRODUCT_REQUIRED = "product_required"
    NOT_BUYER = "not_buyer"
    NOT_DELIVERED = "not_delivered"
    ALREADY_REVIEWED = "already_reviewed"
    INVALID_RATING = "invalid_rating"
    TEXT_TOO_LONG = "text_too_long"
    TOO_MANY_IMAGES = "too_many_images"
    INVALID_STATUS = "invalid_status"


class SaleErrorCode(ErrorCode):
    """Sales, deals and shop vouchers."""

    NOT_FOUND = "not_found"
    NOT_YOUR_PRODUCT = "not_your_product"
    PRODUCT_NOT_ACTIVE = "product_not_active"
    ENROLMENT_CLOSED = "enrolment_closed"
    PRICE_OR_PERCENT = "price_or_percent"
    BAD_DEAL_PRICE = "bad_deal_price"
    BAD_PERCENT_OFF = "bad_percent_off"
    BAD_FLASH_QUANTITY = "bad_flash_quantity"
    BAD_PER_BUYER_LIMIT = "bad_per_buyer_limit"
    DEAL_APPROVED = "deal_approved"
    NOT_YOUR_SHOP = "not_your_shop"
    BAD_TOTAL = "bad_total"
    BAD_DISCOUNT = "bad_discount"
    BAD_VALIDITY = "bad_validity"
    OWN_VOUCHER = "own_voucher"
    VOUCHER_EXPIRED = "voucher_expired"
    ALREADY_CLAIMED = "already_claimed"
    VOUCHERS_GONE = "vouchers_gone"


class LiveDealErrorCode(ErrorCode):
    """Room-only flash deals (created by live rooms, claimed by their viewers)."""

    INVALID_DEAL = "invalid_deal"
    DEAL_ENDED = "deal_ended"
    SOLD_OUT = "sold_out"
    OWN_SHOP = "own_shop"
