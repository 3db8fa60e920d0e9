"""What headline renders into other apps' pages (``core/slots.py``), registered in
``HeadlineConfig.ready()``: the home page's lead section, "stories about this" on product and
shop pages, and a blogger's stories and figures on profile pages. Each function takes the
slot's values as keyword arguments and ignores the ones it does not use (``**_``). Every one
reads through headline's selectors, so the one visibility rule applies here too.

Shared contributions are cached with their page; their cache tags (``headline/caching.py``) are
bumped on commit by the story services whenever what they show may change (a story published,
edited, hidden, deleted or featured; today's topic opening)."""

from datetime import timedelta

from django.template.loader import render_to_string
from django.utils import timezone

from core import slots
from headline.caching import HOME_TAG, product_tag, shop_tag
from headline.selectors import stories as selectors


def home_section_build(**_values) -> tuple[str, float]:
    """``home.sections`` (first): today's topic and its best stories (featured first, then most
    liked), and the ways into the feeds — only the ways into the feeds when there is no topic
    today. Rendered into the home page's cached shell (``core/pages.py``) with its tag
    (:func:`home_section_tags`) until the next local midnight, when another topic leads. Like
    counts may lag by at most ``core.cache.MAX_TTL``."""
    now = timezone.localtime()
    topic = selectors.topic_get_today(today=now.date())
    best = selectors.story_list_best_for_topic(topic=topic) if topic else []
    html = render_to_string("headline/_home_section.html", {"topic": topic, "best": best})
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return html, midnight.timestamp()


def home_section_tags(**_values) -> tuple[str, ...]:
    return (HOME_TAG,)


def product_stories(*, product_id, **_values) -> str:
    """``product.below_description`` (shared, cached with the product page): public stories
    that mention the product, and the way to write one."""
    found = selectors.story_list_about_product(product_id=product_id)
    context = {"stories": found, "write_query": f"product={product_id}", "about": "product"}
    return render_to_string("headline/_stories_about.html", context)


def product_stories_tags(*, product_id, **_keys) -> list[str]:
    return [product_tag(product_id)]


def shop_stories(*, shop_id, **_values) -> str:
    """``shop.sections`` (shared, cached with the shop page): public stories about the shop or
    its products."""
    found = selectors.story_list_about_shop(shop_id=shop_id)
    return render_to_string("headline/_stories_about.html", {"stories": found, "about": "shop"})


def shop_stories_tags(*, shop_slug, **_keys) -> list[str]:
    return [shop_tag(shop_slug)]


def profile_stories(*, person_id, **_values) -> str:
    """``profile.sections`` (shared; the profile page is rendered per request): a person's
    public stories, the likes they got, and the click-throughs and orders their stories sent
    to shops."""
    context = {
        "stats": selectors.blogger_stats(author_id=person_id),
        "stories": selectors.story_list_by_author(author_id=person_id),
    }
    return render_to_string("headline/_profile_stories.html", context)


def register() -> None:
    slots.register_everyone("home.sections", home_section_build, order=1, tags=home_section_tags)
    slots.register("product.below_description", product_stories, order=30, tags=product_stories_tags)
    slots.register("shop.sections", shop_stories, order=30, tags=shop_stories_tags)
    slots.register("profile.sections", profile_stories, order=10)
