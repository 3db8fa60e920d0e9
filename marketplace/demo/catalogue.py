"""Demo catalogue data."""

STEPS = []
