"""The authentication backend: Django's ``ModelBackend``, except that loading the signed-in user
of a request also counts their unread notifications (the header's badge) in the same query —
the per-user bit every signed-in page shows, in one read with the user instead of a second
query (issue 14). The count is the inbox's own rule
(``community.selectors.notifications.user_annotate_unread_count``); the query's SQL is compiled
once per process (``user_get_with_unread_count``) and its result is a versioned cache entry
(``user_get_signed_in``), rebuilt after any write that could change it."""

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError

from community.models import User
from community.selectors.notifications import user_get_signed_in


class UserBackend(ModelBackend):
    def get_user(self, user_id):
        try:
            user_id = User._meta.pk.to_python(user_id)
        except ValidationError:
            return None
        user = user_get_signed_in(user_id=user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
