"""Headline models, split by sub-domain: stories (topics of the day, stories, their images and
mentions), engagement (likes, comments, click-throughs and the orders they led to) and feeds
(the precomputed "for you" entries)."""

from .engagement import StoryClick, StoryComment, StoryLike, StoryOrder
from .feeds import FeedReason, StoryFeedEntry
from .stories import Story, StoryImage, StoryProduct, StoryShop, Topic

__all__ = [
    "FeedReason",
    "Story",
    "StoryClick",
    "StoryComment",
    "StoryFeedEntry",
    "StoryImage",
    "StoryLike",
    "StoryOrder",
    "StoryProduct",
    "StoryShop",
    "Topic",
]
