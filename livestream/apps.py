from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LivestreamConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "livestream"
    verbose_name = _("Live rooms")

    def ready(self):
        from livestream import receivers, slots  # noqa: F401  (receivers: connects the domain-signal receivers)

        slots.register()  # the product page's "live now" and live-show verdict
        from community.selectors.notifications import notification_subject_register
        from livestream.selectors import room_list

        # "X is live" leaves the inbox when the room is hidden (community's inbox rule).
        notification_subject_register("room", room_list)
