"""Celery tasks for sales."""

__all__ = []
