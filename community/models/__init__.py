"""Community models, split by sub-domain: people (users, follows), notifications (the inbox),
activity (activity records, interest profiles) and qa (questions, answers, votes, invitations, feed entries)."""

from .activity import Activity, ActivityKind, InterestProfile
from .moderation import (
    AuditAction,
    AuditEntry,
    Ban,
    BanItem,
    BlockedTerm,
    Case,
    CaseResolution,
    CaseStatus,
    Report,
    ReportReason,
    TermAction,
    TermMatch,
)
from .notifications import NOTIFICATION_QUOTE, Notification, NotificationKind
from .people import ShopFollow, User, UserFollow
from .qa import Answer, AnswerVote, FeedReason, Question, QuestionFeedEntry, QuestionInvitation

__all__ = [
    "AuditAction",
    "AuditEntry",
    "Ban",
    "BanItem",
    "BlockedTerm",
    "Case",
    "CaseResolution",
    "CaseStatus",
    "Report",
    "ReportReason",
    "TermAction",
    "TermMatch",
    "NOTIFICATION_QUOTE",
    "Activity",
    "ActivityKind",
    "Answer",
    "AnswerVote",
    "FeedReason",
    "InterestProfile",
    "Notification",
    "NotificationKind",
    "Question",
    "QuestionFeedEntry",
    "QuestionInvitation",
    "ShopFollow",
    "User",
    "UserFollow",
]
