"""Demo sales data."""

STEPS = []
