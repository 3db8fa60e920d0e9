"""The demo data (``seed_demo``): two weeks of topics with stories, pictures, likes and
comments, two bloggers with many followers, stories mentioning demo products, feeds built."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from community.models import UserFollow
from headline.models import StoryFeedEntry, StoryImage, Topic
from headline.selectors.stories import story_list_public


@pytest.mark.django_db
@pytest.mark.timeout(900)  # seed_demo makes the whole demo: minutes on a busy machine
def test_demo_tells_two_weeks_of_topics_with_stories_by_two_followed_bloggers(client, media_root):
    call_command("seed_demo", verbosity=0)  # (idempotency: tests/config/test_pages.py)
    today = timezone.localdate()
    dates = set(Topic.objects.values_list("date", flat=True))
    assert {today - timezone.timedelta(days=d) for d in range(14)} <= dates
    public = story_list_public()
    assert public.filter(topic__date=today).exists()
    assert public.values("topic").distinct().count() >= 7  # stories across the fortnight
    assert StoryImage.objects.count() >= 5
    assert public.filter(like_count__gt=0).count() >= 5 and public.filter(comment_count__gt=0).count() >= 5
    assert public.filter(product_mentions__isnull=False).distinct().count() >= 5
    for blogger in ("lili", "amei"):
        assert UserFollow.objects.filter(user__username=blogger).count() >= 40
        assert public.filter(author__username=blogger).exists()
    assert StoryFeedEntry.objects.filter(user__username="reader01").exists()
    # and the pages show them
    home = client.get("/").content.decode()
    assert Topic.objects.get(date=today).title in home
