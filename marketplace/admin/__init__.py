"""Moderator tools in Django admin, by sub-domain."""

from marketplace.admin import catalogue, orders, sales  # noqa: F401 - registers the ModelAdmins
