"""Livestream writes, by sub-domain: ``rooms`` (scheduling, going live, stream keys, reminders),
``live`` (chat, pins, votes, hearts, viewers: what happens inside a room), ``stats`` (clicks,
attribution)."""
