from celery import shared_task

from community import services


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def clear_expired_sessions() -> int:
    """Nightly housekeeping: drop expired sessions (idempotent)."""
    return services.sessions_clear_expired()
