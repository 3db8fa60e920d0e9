"""The authentication backend: Django's ``ModelBackend``, except that loading the signed-in user
of a request also counts their unread notifications (the header's badge) in the same query —
the per-user bit every signed-in page shows, in one read with the user instead of a second
query (issue 14). The count is the inbox's own rule
(``community.selectors.notifications.user_annotate_unread_count``), taken fresh each request."""

from django.contrib.auth.backends import ModelBackend

from community.models import User
from community.selectors.notifications import user_annotate_unread_count


class UserBackend(ModelBackend):
    def get_user(self, user_id):
        try:
            user = user_annotate_unread_count(User._default_manager.all()).get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
