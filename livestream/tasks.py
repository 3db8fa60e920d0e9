"""Livestream Celery tasks: ids in, one service call, idempotent (retry policy: core.tasks;
queues: settings.CELERY_TASK_ROUTES)."""

from celery import shared_task

from livestream.services import rooms


@shared_task
def room_live_notify(room_id: int) -> int:
    """Tell the host's followers and remind-me users that the room is live (once each)."""
    return rooms.room_live_notify(room_id=room_id)
