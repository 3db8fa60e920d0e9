"""Live rooms: shows, rooms and their shelves, stream keys, chat, pins, votes, viewers, clicks.

Durable things live here; what changes many times a second (the current viewer count, heart
taps between persists, rate-limit buckets) lives in the realtime counters (core/realtime.py).
"""

import secrets

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.visibility import VisibilityFields


def new_stream_key() -> str:
    return "sk_" + secrets.token_urlsafe(24)


class Show(models.Model):
    """A series of rooms (episodes), e.g. a daily two-hour programme."""

    host = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="live_shows")
    title = models.CharField(_("title"), max_length=120)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(_("description"), max_length=4000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("livestream:show", kwargs={"slug": self.slug})


class RoomStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Coming up")
    LIVE = "live", _("Live now")
    ENDED = "ended", _("Ended")


class Room(VisibilityFields):
    """One live session. ``scheduled → live → ended``; each step is a conditional update on
    ``status`` (``started_at``/``ended_at`` set once), so the side effects happen once."""

    host = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="live_rooms")
    shop = models.ForeignKey("marketplace.Shop", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    show = models.ForeignKey(Show, null=True, blank=True, on_delete=models.SET_NULL, related_name="episodes")
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), max_length=4000, blank=True)
    cover = models.ImageField(_("cover"), upload_to="live/%Y/%m/", blank=True)
    scheduled_at = models.DateTimeField(_("starts at"))
    status = models.CharField(max_length=10, choices=RoomStatus.choices, default=RoomStatus.SCHEDULED)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_message = models.CharField(max_length=300, blank=True)
    # The public name of the stream on the media server (HLS file name); never the secret key.
    stream_name = models.CharField(max_length=40, blank=True)
    # Counters (F() updates): hearts are persisted from the realtime counter every few seconds.
    hearts = models.PositiveBigIntegerField(default=0)
    messages_count = models.PositiveIntegerField(default=0)
    peak_viewers = models.PositiveIntegerField(default=0)
    reminders_sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-scheduled_at"]
        indexes = [
            # "Live now" / "coming up" / "ended" lists.
            models.Index(fields=["status", "scheduled_at"], name="room_status_scheduled"),
            models.Index(fields=["host", "status"], name="room_host_status"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("livestream:room", kwargs={"room_id": self.pk})

    @property
    def group(self) -> str:
        return f"live.room.{self.pk}"


class RoomProduct(models.Model):
    """A product on a room's shelf, in order, with its yea/nay tally (hot counters)."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="shelf")
    product = models.ForeignKey("marketplace.Product", on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)
    yea = models.PositiveIntegerField(default=0)
    nay = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["room", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["room", "product"], name="roomproduct_unique")]
        indexes = [models.Index(fields=["product"], name="roomproduct_product")]  # the product page verdict

    def __str__(self):
        return f"{self.product_id} in room {self.room_id}"


class StreamKey(models.Model):
    """A host's secret key for the media server. Rotating replaces it; the old one stops working."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="stream_key")
    key = models.CharField(max_length=64, unique=True, default=new_stream_key)
    rotated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"stream key of {self.user_id}"


class RoomReminder(models.Model):
    """ "Remind me": notified when the room goes live."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="reminders")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["room", "user"], name="roomreminder_unique")]

    def __str__(self):
        return f"{self.user_id} → room {self.room_id}"


class ChatMessage(VisibilityFields):
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="messages")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    text = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["room", "-created_at"], name="chatmessage_room_recent")]

    def __str__(self):
        return f"{self.user_id}: {self.text[:40]}"


class RoomPin(models.Model):
    """A shelf product featured in the room, with the room-only flash deal started with it."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="pins")
    product = models.ForeignKey("marketplace.Product", on_delete=models.CASCADE, related_name="+")
    deal = models.ForeignKey("marketplace.Deal", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    pinned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    pinned_at = models.DateTimeField(auto_now_add=True)
    unpinned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-pinned_at", "-id"]
        # The current pin of a room (votes and grabs look it up).
        indexes = [
            models.Index(fields=["room"], condition=models.Q(unpinned_at__isnull=True), name="roompin_current"),
        ]

    def __str__(self):
        return f"pin {self.product_id} in room {self.room_id}"


class VoteValue(models.TextChoices):
    YEA = "yea", _("Yea")
    NAY = "nay", _("Nay")


class RoomVote(models.Model):
    """One signed-in viewer's vote on a featured product in a room (changeable)."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="votes")
    product = models.ForeignKey("marketplace.Product", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    value = models.CharField(max_length=3, choices=VoteValue.choices)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["room", "product", "user"], name="roomvote_unique")]

    def __str__(self):
        return f"{self.user_id} {self.value} {self.product_id}"


class RoomViewer(models.Model):
    """A unique viewer of a room: ``viewer_key`` is ``u<user id>`` or an anonymous visitor id."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="viewers")
    viewer_key = models.CharField(max_length=40)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    first_seen_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["room", "viewer_key"], name="roomviewer_unique")]

    def __str__(self):
        return f"{self.viewer_key} in room {self.room_id}"


class ViewerSample(models.Model):
    """Concurrent viewers in one minute of a room (the highest count any process saw)."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="samples")
    minute = models.DateTimeField()
    viewers = models.PositiveIntegerField()

    class Meta:
        ordering = ["room", "minute"]
        constraints = [models.UniqueConstraint(fields=["room", "minute"], name="viewersample_unique")]

    def __str__(self):
        return f"{self.room_id} {self.minute:%H:%M} {self.viewers}"


class ClickKind(models.TextChoices):
    PRODUCT = "product", _("Product")
    SHOP = "shop", _("Store")


class RoomClick(models.Model):
    """A click from a room to a product or store (through the counting redirect)."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="clicks")
    viewer_key = models.CharField(max_length=40)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=ClickKind.choices)
    product = models.ForeignKey(
        "marketplace.Product", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    shop = models.ForeignKey("marketplace.Shop", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["room", "created_at"], name="roomclick_room"),
            # Attribution: a buyer's latest clicks on a shop.
            models.Index(fields=["user", "shop", "-created_at"], name="roomclick_user_shop"),
        ]

    def __str__(self):
        return f"{self.viewer_key} → {self.kind} from room {self.room_id}"


class RoomOrder(models.Model):
    """An order attributed to a room (placed within the window after a click to its shop)."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="orders")
    order = models.OneToOneField("marketplace.Order", on_delete=models.CASCADE, related_name="+")
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    cancelled = models.BooleanField(default=False)
    attributed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-attributed_at"]

    def __str__(self):
        return f"order {self.order_id} from room {self.room_id}"
