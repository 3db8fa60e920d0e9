from django.apps import AppConfig


class MarketplaceConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "marketplace"
    verbose_name = "Marketplace"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from marketplace import receivers, slots
        from marketplace.views.orders import merge_session_cart_on_login

        # The anonymous session cart joins the user's cart at login.
        user_logged_in.connect(merge_session_cart_on_login, dispatch_uid="marketplace_merge_session_cart")
        slots.register()  # the home page's sale and catalogue sections
        receivers.connect()  # a person or token written drops their sale-day early answers
