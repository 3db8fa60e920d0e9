from django.apps import AppConfig


class CommunityConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "community"
    verbose_name = "Community"

    def ready(self):
        import community.receivers  # noqa: F401  (importing it connects the domain-signal receivers)
        from community import slots

        slots.register()  # the product page's Q&A summary, the shop page's follow button
        _register_notification_subjects()


def _register_notification_subjects() -> None:
    """The inbox shows a notification about a question, an answer or a person only while it is
    public (community.selectors.notifications)."""
    from community.models import User
    from community.selectors.notifications import notification_subject_register
    from community.selectors.qa import answer_list_public, question_list_public

    notification_subject_register("question", question_list_public)
    notification_subject_register("answer", answer_list_public)
    notification_subject_register("user", lambda: User.objects.filter(is_active=True))
