"""The API's token authentication: DRF's ``TokenAuthentication`` with the token and its person
read from the cache (``community.selectors.notifications.user_get_by_token``: one round trip and
no query on a hit; rebuilt when the token is deleted or the person changes). Same answers as
DRF's: 401 "Invalid token." for an unknown key, "User inactive or deleted." for an inactive
person.

A token this process has accepted is remembered with its person's id (:meth:`ahead_user_id`), so
an API view answering early can count the person's throttles in the round trip that reads the
token (``core.api.EarlyAnswerMixin``)."""

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication, get_authorization_header

from community.selectors.notifications import user_get_by_token, user_token_entries

#: DRF's own messages, translated by DRF's catalogues (so not marked again here).
INVALID_TOKEN = "Invalid token."
USER_INACTIVE = "User inactive or deleted."


#: How many tokens this process remembers the person of (then it starts again).
REMEMBERED = 10_000

#: The person's id behind each token this process accepted: a guess of whose throttle counters a
#: request with that token will count (``core.api.EarlyAnswerMixin``), checked against the token's
#: entry once it is read.
_token_users: dict[str, int] = {}


class CachedTokenAuthentication(TokenAuthentication):
    def ahead_user_id(self, request) -> int | None:
        """The id of the person this process last accepted the request's token for, or None."""
        auth = get_authorization_header(request).split()
        if len(auth) != 2 or auth[0].lower() != self.keyword.lower().encode():
            return None
        return _token_users.get(auth[1].decode("latin-1"))

    def ahead_entries(self, request) -> dict:
        """The cache entry :meth:`authenticate_credentials` will read for the request's token, for
        a view that reads it ahead with its own (``core.api.ReadAheadMixin``)."""
        auth = get_authorization_header(request).split()
        if len(auth) != 2 or auth[0].lower() != self.keyword.lower().encode():
            return {}
        try:
            return user_token_entries(key=auth[1].decode())
        except UnicodeError:
            return {}  # authenticate() refuses it

    def authenticate_credentials(self, key):
        found = user_get_by_token(key=key)
        if found is None:
            raise exceptions.AuthenticationFailed(_(INVALID_TOKEN))
        user, token = found
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_(USER_INACTIVE))
        if _token_users.get(key) != user.pk:
            if len(_token_users) >= REMEMBERED:
                _token_users.clear()
            _token_users[key] = user.pk
        return user, token
