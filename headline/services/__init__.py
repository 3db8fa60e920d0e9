"""Headline writes, by sub-domain: stories (posting, editing, images, mentions, visibility),
engagement (likes, comments, views, click-throughs and the orders they led to), feeds ("for
you" rebuilds, trending) and topics (the topic clock)."""
