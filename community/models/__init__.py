"""Community models, split by sub-domain: people (users, follows), notifications (the inbox),
activity (activity records, interest profiles) and qa (questions, answers, votes, invitations)."""

from .activity import Activity, ActivityKind, InterestProfile
from .notifications import Notification, NotificationKind
from .people import ShopFollow, User, UserFollow
from .qa import Answer, AnswerVote, ContentStatus, Question, QuestionInvitation

__all__ = [
    "Activity",
    "ActivityKind",
    "Answer",
    "AnswerVote",
    "ContentStatus",
    "InterestProfile",
    "Notification",
    "NotificationKind",
    "Question",
    "QuestionInvitation",
    "ShopFollow",
    "User",
    "UserFollow",
]
