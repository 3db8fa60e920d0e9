"""Accounts and follows."""

import hashlib
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import get_supported_language_variant, gettext_noop
from django.utils.translation import gettext as _

from community.caching import user_tag
from community.errors import AccountErrorCode
from community.models import NotificationKind, ShopFollow, User, UserFollow
from community.services.notifications import notification_create
from core.cache import bump_on_commit
from core.errors import ApplicationError
from core.moderation import posting_allowed
from core.throttles import action_limit, failure_record, failures_clear, failures_wait
from core.visibility import Visibility, visibility_update
from marketplace.selectors.catalogue import shop_is_public
from marketplace.services.catalogue import shop_follower_count_change

if TYPE_CHECKING:
    from marketplace.models import Shop


@transaction.atomic
def user_create(*, username: str, password: str, email: str = "", display_name: str = "", language: str = "") -> User:
    """Create a user: the one sign-up path (the sign-up page and ``POST /api/v1/auth/register/``).
    ``language`` is the language the request was served in (their e-mails are written in it).

    Usernames are unique case-insensitively; the fields are checked by the model and the password
    by Django's password validators. A refusal names its fields in ``extra["fields"]`` (``username``,
    ``email``, ``display_name``, ``password``) so each edge can show the messages where they belong."""
    taken = _("That username is taken.")
    if User.objects.filter(username__iexact=username).exists():
        raise ApplicationError(
            taken, status=409, code=AccountErrorCode.USERNAME_TAKEN, extra={"fields": {"username": [taken]}}
        )
    user = User(username=username, email=email, display_name=display_name, language=_supported(language))
    fields: dict[str, list[str]] = {}
    try:
        # uniqueness is the check above and the constraint at save (a race ends in the 409 below)
        user.full_clean(exclude=["password"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        fields.update(exc.message_dict)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        fields["password"] = exc.messages
    if fields:
        raise _invalid(fields)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # the same username, signed up at the same moment
        raise ApplicationError(
            taken, status=409, code=AccountErrorCode.USERNAME_TAKEN, extra={"fields": {"username": [taken]}}
        ) from exc
    return user


#: The profile fields a user may edit themselves (``user_profile_update``).
PROFILE_FIELDS = ("display_name", "bio", "email", "question_invites_opt_out")


def _invalid(fields: dict[str, list[str]]) -> ApplicationError:
    message = " ".join(message for messages in fields.values() for message in messages)
    return ApplicationError(message, code=AccountErrorCode.INVALID_USER, extra={"fields": fields})


@transaction.atomic
def user_profile_update(*, user: User, avatar=None, remove_avatar: bool = False, **changes) -> User:
    """The user edits their own profile: any of :data:`PROFILE_FIELDS`, and the avatar (an image
    upload, validated and cleaned like product images; ``remove_avatar`` clears it). Checked by
    the model's validators; a refusal names its fields in ``extra["fields"]`` like sign-up. The
    profile is public content: a banned person cannot change it (403 ``banned``)."""
    posting_allowed(user)
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise _invalid({name: [_("This field cannot be changed here.")] for name in sorted(unknown)})
    for name, value in changes.items():
        setattr(user, name, value.strip() if isinstance(value, str) else value)
    try:
        user.full_clean(exclude=["password", "username", "avatar", "language"], validate_unique=False)
    except ValidationError as exc:
        raise _invalid(exc.message_dict) from exc
    update_fields = list(changes)
    if avatar is not None:
        from marketplace.services.images import image_clean

        clean = image_clean(upload=avatar)
        user.avatar.save(clean.content.name, clean.content, save=False)
        update_fields.append("avatar")
    elif remove_avatar and user.avatar:
        user.avatar = ""
        update_fields.append("avatar")
    if update_fields:
        user.save(update_fields=update_fields)
    return user


def _tokens_revoke(user: User) -> None:
    from rest_framework.authtoken.models import Token

    Token.objects.filter(user=user).delete()


@transaction.atomic
def user_sign_out_everywhere(*, user: User) -> None:
    """End every sign-in of ``user``: the API token is deleted and every browser session stops
    being valid (``User.session_generation`` moves on, which changes the session auth hash that
    Django checks on each request). O(1) whatever the number of sessions."""
    _tokens_revoke(user)
    User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
    bump_on_commit(user_tag(user.pk), now=True)
    user.refresh_from_db(fields=["session_generation"])


@transaction.atomic
def user_password_change(*, user: User, current_password: str, new_password: str) -> str:
    """Change the password after checking the current one, sign out everywhere else
    (:func:`user_sign_out_everywhere`) and return a new API token for the caller. Refusals name
    their field in ``extra["fields"]`` (``current_password``, ``new_password``)."""
    if not user.check_password(current_password):
        raise ApplicationError(
            _("Your current password is not correct."),
            status=400,
            code=AccountErrorCode.WRONG_PASSWORD,
            extra={"fields": {"current_password": [_("Your current password is not correct.")]}},
        )
    try:
        validate_password(new_password, user)
    except ValidationError as exc:
        raise _invalid({"new_password": exc.messages}) from exc
    user.set_password(new_password)
    user.save(update_fields=["password"])
    user_sign_out_everywhere(user=user)
    from rest_framework.authtoken.models import Token

    return Token.objects.create(user=user).key


# --- sign-in lockout ---------------------------------------------------------------------------
# The one rule for both sign-in paths (the login page and POST /api/v1/auth/token/): after
# SIGN_IN_FAILURES_PER_ACCOUNT failures for one username, or SIGN_IN_FAILURES_PER_IP from one
# address (core.throttles.client_ip: X-Forwarded-For only from configured proxies), within the
# current SIGN_IN_WINDOW_SECONDS window, sign-in is refused with 429 until the window ends — even
# with the right password. Atomic Redis counters; while Redis is unreachable nothing is locked.


def _sign_in_keys(*, username: str, ip: str) -> tuple[str, str]:
    account = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    return f"signin:acct:{account}", f"signin:ip:{ip}"


def sign_in_guard(*, username: str, ip: str) -> None:
    """Refuse (429 ``sign_in_locked``, ``retry_after`` seconds) a sign-in attempt for a locked
    account or address. Call before checking the password."""
    account, address = _sign_in_keys(username=username, ip=ip)
    wait = failures_wait(
        {account: settings.SIGN_IN_FAILURES_PER_ACCOUNT, address: settings.SIGN_IN_FAILURES_PER_IP},
        window=settings.SIGN_IN_WINDOW_SECONDS,
    )
    if wait is not None:
        raise ApplicationError(
            _("Too many failed sign-in attempts. Try again in %(minutes)d min.") % {"minutes": max(1, -(-wait // 60))},
            status=429,
            code=AccountErrorCode.SIGN_IN_LOCKED,
            extra={"retry_after": wait},
        )


def sign_in_failed(*, username: str, ip: str) -> None:
    """Count a failed sign-in against the account and the address."""
    failure_record(_sign_in_keys(username=username, ip=ip), window=settings.SIGN_IN_WINDOW_SECONDS)


def sign_in_succeeded(*, username: str, ip: str) -> None:
    """A successful sign-in forgets the account's failures (not the address's)."""
    account, _address = _sign_in_keys(username=username, ip=ip)
    failures_clear(account, window=settings.SIGN_IN_WINDOW_SECONDS)


@transaction.atomic
def user_update_settings(*, user: User, question_invites_opt_out: bool) -> User:
    user.question_invites_opt_out = question_invites_opt_out
    user.save(update_fields=["question_invites_opt_out"])
    return user


def sessions_clear_expired(*, now=None) -> int:
    """Delete expired database sessions; returns how many were deleted."""
    deleted, _details = Session.objects.filter(expire_date__lt=now or timezone.now()).delete()
    return deleted


# --- follows ---------------------------------------------------------------------------------


def _supported(language: str) -> str:
    """``language`` as one of ``settings.LANGUAGES`` (``zh-cn`` → ``zh-hans``), or ""."""
    try:
        return get_supported_language_variant(language) if language else ""
    except LookupError:
        return ""


def user_language_set(*, user: User, language: str) -> None:
    """Remember the language ``user`` reads (their e-mails are written in it). ``language`` is one
    of ``settings.LANGUAGES`` (a regional variant such as ``zh-cn`` is mapped to it); anything
    else is ignored."""
    language = _supported(language)
    if language and user.language != language:
        User.objects.filter(pk=user.pk).update(language=language)
        bump_on_commit(user_tag(user.pk), now=True)
        user.language = language


@transaction.atomic
def user_set_visibility(*, obj: User, status: str, by: User | None, reason: str = "") -> bool:
    """THE way a public profile's visibility changes (moderators, the queue). A profile that is
    not visible 404s for others and leaves notifications about the person; the account still
    signs in, reads and pays (a ban is separate). True if it changed."""
    if status not in Visibility.values:
        raise ApplicationError(_("Unknown visibility."), code=AccountErrorCode.INVALID_VISIBILITY)
    return visibility_update(obj=obj, status=status, by=by, reason=reason) is not None


@transaction.atomic
def user_follow(*, follower: User, user: User) -> bool:
    """``follower`` follows ``user``; True if this call created the follow (idempotent: a second
    call, or a concurrent one, returns False). The followed user is told once per follower."""
    action_limit("follow", user_id=follower.pk)
    if follower.pk == user.pk:
        raise ApplicationError(_("You can't follow yourself."), code=AccountErrorCode.SELF_FOLLOW)
    if not user.is_active:
        raise ApplicationError(_("No such user."), status=404, code=AccountErrorCode.NOT_FOUND)
    # get_or_create retries the read after a unique-constraint race, so concurrent calls are safe.
    _follow, created = UserFollow.objects.get_or_create(follower=follower, user=user)
    if created:
        notification_create(
            recipient=user,
            kind=NotificationKind.NEW_FOLLOWER,
            title=gettext_noop("%(name)s follows you"),
            params={"name": follower.public_name},
            subject=("user", follower.pk),
            url=follower.get_absolute_url(),
            dedupe_key=f"follow:{follower.pk}",
            email=False,
        )
    return created


@transaction.atomic
def user_unfollow(*, follower: User, user: User) -> bool:
    """True if a follow was removed (idempotent)."""
    deleted, _details = UserFollow.objects.filter(follower=follower, user=user).delete()
    return bool(deleted)


@transaction.atomic
def shop_follow(*, user: User, shop: "Shop") -> bool:
    """``user`` follows ``shop`` and the shop's follower count goes up by one (through the
    marketplace's service) — only when this call created the follow, so repeated or concurrent
    calls count once."""
    action_limit("follow", user_id=user.pk)
    if shop.owner_id == user.pk:
        raise ApplicationError(_("You can't follow your own shop."), code=AccountErrorCode.SELF_FOLLOW)
    if not shop_is_public(shop):
        raise ApplicationError(_("No such shop."), status=404, code=AccountErrorCode.NOT_FOUND)
    _follow, created = ShopFollow.objects.get_or_create(user=user, shop=shop)
    if created:
        shop_follower_count_change(shop_id=shop.pk, by=1)
    return created


@transaction.atomic
def shop_unfollow(*, user: User, shop: "Shop") -> bool:
    """Remove the follow and count it down, once (a concurrent second DELETE deletes nothing)."""
    deleted, _details = ShopFollow.objects.filter(user=user, shop=shop).delete()
    if deleted:
        shop_follower_count_change(shop_id=shop.pk, by=-1)
    return bool(deleted)
