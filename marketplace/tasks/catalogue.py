"""Celery tasks for catalogue."""

__all__ = []
