"""Demo orders data."""

STEPS = []
