"""Community's error codes: one enum per domain, used by every ``ApplicationError`` community
raises (``core.errors``). docs/api.md lists them all with their HTTP status and meaning."""

from core.errors import ErrorCode


class AccountErrorCode(ErrorCode):
    """Sign-up, accounts and follows."""

    NOT_FOUND = "not_found"
    USERNAME_TAKEN = "username_taken"
    INVALID_USER = "invalid_user"
    SELF_FOLLOW = "self_follow"
    WRONG_PASSWORD = "wrong_password"
    SIGN_IN_LOCKED = "sign_in_locked"
    INVALID_VISIBILITY = "invalid_visibility"


class QAErrorCode(ErrorCode):
    """Questions, answers and votes."""

    NOT_FOUND = "not_found"
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    NOT_AUTHOR = "not_author"
    NOT_ASKER = "not_asker"
    HIDDEN = "hidden"
    TOO_LATE = "too_late"
    OWN_QUESTION = "own_question"
    OWN_ANSWER = "own_answer"
    ALREADY_ANSWERED = "already_answered"
    INVALID_VOTE = "invalid_vote"
    INVALID_VISIBILITY = "invalid_visibility"


class ModerationErrorCode(ErrorCode):
    """Reports, blocked terms, bans and the moderators' actions."""

    NOT_FOUND = "not_found"
    INVALID_KIND = "invalid_kind"
    INVALID_REASON = "invalid_reason"
    OWN_CONTENT = "own_content"
    ALREADY_REPORTED = "already_reported"
    INVALID_TERM = "invalid_term"
    ALREADY_BANNED = "already_banned"
    NOT_MODERATOR = "not_moderator"
