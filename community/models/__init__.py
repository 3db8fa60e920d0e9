"""Community models, split by sub-domain: people (users, follows), notifications (the inbox),
activity (activity records, interest profiles) and qa (questions, answers, votes, invitations)."""

from .activity import Activity, ActivityKind, InterestProfile
from .notifications import Notification, NotificationKind
from .people import ShopFollow, User, UserFollow

__all__ = [
    "Activity",
    "ActivityKind",
    "InterestProfile",
    "Notification",
    "NotificationKind",
    "ShopFollow",
    "User",
    "UserFollow",
]
