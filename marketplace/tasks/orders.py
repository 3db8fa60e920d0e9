"""Celery tasks for orders."""

__all__ = []
