"""Headline reads, by sub-domain: stories (THE visibility rule, cards, topics, comments,
blogger figures) and feeds (following, "for you" scoring and reads, trending)."""
