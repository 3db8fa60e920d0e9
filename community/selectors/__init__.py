"""Community reads, by sub-domain: querysets ready to render."""
