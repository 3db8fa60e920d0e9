"""Marketplace reads, split by sub-domain (pricing, catalogue, orders, sales)."""
