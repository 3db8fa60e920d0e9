"""A development e-mail backend: every message is logged at INFO (logger ``core.mail``) instead of
being sent. Django's console backend writes to stdout, which the Celery worker re-logs at WARNING,
so every notification e-mail looked like a problem in ``make run``'s output."""

import logging

from django.core.mail.backends.base import BaseEmailBackend

logger = logging.getLogger(__name__)


class LoggingEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        for message in email_messages:
            logger.info("E-mail to %s: %s\n%s", ", ".join(message.recipients()), message.subject, message.body.strip())
        return len(email_messages)
