from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class LivestreamConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "livestream"
    verbose_name = _("Live rooms")

    def ready(self):
        from livestream import receivers, slots  # noqa: F401  (receivers: connects the domain-signal receivers)

        slots.register()  # the product page's "live now" and live-show verdict
        from community import moderation
        from livestream.models import ChatMessage, Room
        from livestream.selectors import chat_message_list_public, room_list
        from livestream.services.live import chat_message_set_visibility
        from livestream.services.rooms import room_set_visibility

        # Rooms and chat messages in community's moderation registry; "X is live" leaves the
        # inbox when the room is hidden (notification_subject).
        moderation.register(
            name="room",
            model=Room,
            set_visibility=room_set_visibility,
            public=room_list,
            author_field="host",
            preview=lambda room: f"{room.title}: {room.description[:200]}",
            label=pgettext_lazy("content kind", "live room"),
            text_fields=("title", "description"),
            notification_subject=True,
        )
        moderation.register(
            name="chat_message",
            model=ChatMessage,
            set_visibility=chat_message_set_visibility,
            public=chat_message_list_public,
            author_field="user",
            preview=lambda message: message.text,
            label=pgettext_lazy("content kind", "chat message"),
            text_fields=("text",),
        )
