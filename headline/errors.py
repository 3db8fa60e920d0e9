"""Headline's error codes: one enum per domain, used by every ``ApplicationError`` headline
raises (``core.errors``). docs/api.md lists them with their HTTP status and meaning. Picture
uploads refuse with the marketplace's image codes (``CatalogueErrorCode``)."""

from core.errors import ErrorCode


class StoryErrorCode(ErrorCode):
    """Topics, stories, comments."""

    NOT_FOUND = "not_found"
    TITLE_REQUIRED = "title_required"
    TITLE_TOO_LONG = "title_too_long"
    BODY_REQUIRED = "body_required"
    BODY_TOO_LONG = "body_too_long"
    TOPIC_NOT_FOUND = "topic_not_found"
    TOPIC_DATE_TAKEN = "topic_date_taken"
    TOO_MANY_MENTIONS = "too_many_mentions"
    PRODUCT_NOT_FOUND = "product_not_found"
    SHOP_NOT_FOUND = "shop_not_found"
    TOO_MANY_IMAGES = "too_many_images"
    STORY_REMOVED = "story_removed"
    INVALID_VISIBILITY = "invalid_visibility"
    COMMENT_EMPTY = "comment_empty"
    COMMENT_TOO_LONG = "comment_too_long"
    COMMENT_WRONG_STORY = "comment_wrong_story"
