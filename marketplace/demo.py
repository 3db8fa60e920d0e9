"""Demo shops, products, orders and reviews for ``seed_demo``."""

STEPS = []
