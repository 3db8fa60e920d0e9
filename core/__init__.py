"""Plumbing below every app: no domain here, and no imports of any app (import-linter checks).

Each module is one concern that several apps share (errors, versioned cache, throttles, page
slots, robust domain signals, admin mixins, Celery conventions, realtime helpers, visibility
vocabulary). See docs/architecture.md, "anatomy of an app".
"""
