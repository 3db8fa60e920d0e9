from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from core.visibility import VisibilityFields

#: Where a user read from the cache keeps its session auth hash (computed before the password
#: was left out of the entry).
SESSION_AUTH_HASH_ATTRIBUTE = "session_auth_hash_now"


class User(AbstractUser, VisibilityFields):
    """A Jishi user. Roles come from what people do (a seller has a shop, a blogger posts), so
    there is no role field. ``visibility`` is the public profile's (a hidden profile 404s for
    others; the account still signs in)."""

    display_name = models.CharField(max_length=60, blank=True)
    avatar = models.ImageField(upload_to="avatars/%Y/%m/", blank=True)
    bio = models.TextField(max_length=500, blank=True)
    # Past buyers are invited to answer new questions about what they bought unless they opt out.
    question_invites_opt_out = models.BooleanField(
        default=False, help_text=_("Don't invite me to answer questions about products I bought.")
    )
    # The language e-mails are written in: set at sign-up from the request's and by the footer's
    # language switcher (empty: settings.LANGUAGE_CODE).
    language = models.CharField(max_length=10, blank=True, choices=settings.LANGUAGES)
    # Moved on by "sign out everywhere" (and a password change): part of the session auth hash,
    # so every browser session signed in before ends, without scanning the session table.
    session_generation = models.PositiveIntegerField(default=0, editable=False)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        constraints = [
            # Usernames are unique case-insensitively ("Mei" and "mei" are one person), held by
            # the database so two sign-ups at the same moment cannot both get it.
            models.UniqueConstraint(Lower("username"), name="user_username_unique_ci"),
        ]

    def __str__(self):
        return self.display_name or self.username

    def get_absolute_url(self):
        return reverse("community:profile", kwargs={"username": self.username})

    @property
    def public_name(self) -> str:
        return self.display_name or self.username

    def _get_session_auth_hash(self, secret=None):
        """Django's hash of the password, plus :attr:`session_generation` once it moved on (so
        sessions of users who never signed out everywhere stay valid across this change). A
        signed-in user read from the cache carries it computed, without the password
        (``community.selectors.notifications.user_get_signed_in``)."""
        computed = self.__dict__.get(SESSION_AUTH_HASH_ATTRIBUTE)
        if computed is not None and secret is None:
            return computed
        if not self.session_generation:
            return super()._get_session_auth_hash(secret=secret)
        key_salt = "community.User.get_session_auth_hash"
        value = f"{self.password}:{self.session_generation}"
        return salted_hmac(key_salt, value, secret=secret, algorithm="sha256").hexdigest()


class UserFollow(models.Model):
    """``follower`` follows ``user``. Written only by ``community.services.people.user_follow``."""

    follower = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="following_links")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follower_links")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # Follower list of a user, newest first (the unique index serves "following" lists).
            models.Index(fields=["user", "-created_at"], name="userfollow_user_recent"),
            models.Index(fields=["follower", "-created_at"], name="userfollow_follower_recent"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["follower", "user"], name="userfollow_unique"),
            models.CheckConstraint(condition=~models.Q(follower=models.F("user")), name="userfollow_not_self"),
        ]

    def __str__(self):
        return f"{self.follower_id} follows user {self.user_id}"


class ShopFollow(models.Model):
    """``user`` follows ``shop``; ``Shop.follower_count`` is kept in step by the follow services."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shop_follows")
    shop = models.ForeignKey("marketplace.Shop", on_delete=models.CASCADE, related_name="follows")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # Followers of a shop (sale notifications fan out over this), newest first.
            models.Index(fields=["shop", "-created_at"], name="shopfollow_shop_recent"),
            models.Index(fields=["user", "-created_at"], name="shopfollow_user_recent"),
        ]
        constraints = [models.UniqueConstraint(fields=["user", "shop"], name="shopfollow_unique")]

    def __str__(self):
        return f"{self.user_id} follows shop {self.shop_id}"
