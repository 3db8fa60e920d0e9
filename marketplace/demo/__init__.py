"""Demo data for ``seed_demo``, by sub-domain. Each module exposes ``STEPS``: ``(label, fn(ctx))``."""

from marketplace.demo import catalogue, orders, sales

STEPS = [*catalogue.STEPS, *orders.STEPS, *sales.STEPS]
