from django.utils.functional import SimpleLazyObject

from community.selectors.notifications import notification_unread_count


def notifications(request):
    """``unread_notification_count`` for the header badge: computed only if a template uses it
    and only for signed-in users (then one cached, indexed COUNT)."""
    user = getattr(request, "user", None)
    if user is None:
        return {}
    return {
        "unread_notification_count": SimpleLazyObject(
            lambda: notification_unread_count(user=user) if user.is_authenticated else 0
        )
    }
