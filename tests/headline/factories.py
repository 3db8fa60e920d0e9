"""factory_boy factories for headline models, one per model."""

import factory
from django.utils import timezone

from headline.markdown import render_markdown
from headline.models import (
    Story,
    StoryClick,
    StoryComment,
    StoryFeedEntry,
    StoryImage,
    StoryLike,
    StoryProduct,
    StoryShop,
    Topic,
)
from headline.services.stories import story_mentions_set
from tests.community.factories import UserFactory


class TopicFactory(factory.django.DjangoModelFactory):
    """Today's topic unless ``date`` is given."""

    class Meta:
        model = Topic
        django_get_or_create = ("date",)

    date = factory.LazyFunction(timezone.localdate)
    title = factory.Sequence(lambda n: f"Topic {n}")
    prompt = "Tell us about the best thing you bought this year."


class StoryFactory(factory.django.DjangoModelFactory):
    """A published, visible story (pass ``published_at=None`` for a draft)."""

    class Meta:
        model = Story

    author = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Story {n}")
    body = "I bought this and *loved* it."
    body_html = factory.LazyAttribute(lambda story: render_markdown(story.body))
    published_at = factory.LazyFunction(timezone.now)


class StoryImageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StoryImage

    story = factory.SubFactory(StoryFactory)
    image = factory.django.ImageField(filename="photo.png", width=64, height=48, color="blue", format="PNG")
    width = 64
    height = 48
    position = factory.Sequence(lambda n: n)


class StoryProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StoryProduct

    story = factory.SubFactory(StoryFactory)
    product = factory.SubFactory("tests.marketplace.factories.ProductFactory")


class StoryShopFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StoryShop

    story = factory.SubFactory(StoryFactory)
    shop = factory.SubFactory("tests.marketplace.factories.ShopFactory")


class StoryLikeFactory(factory.django.DjangoModelFactory):
    """A like row only (the service keeps ``like_count``)."""

    class Meta:
        model = StoryLike

    story = factory.SubFactory(StoryFactory)
    user = factory.SubFactory(UserFactory)


class StoryCommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StoryComment

    story = factory.SubFactory(StoryFactory)
    author = factory.SubFactory(UserFactory)
    body = factory.Sequence(lambda n: f"Nice story ({n}).")


class StoryClickFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StoryClick

    story = factory.SubFactory(StoryFactory)
    user = factory.SubFactory(UserFactory)
    product = factory.SubFactory("tests.marketplace.factories.ProductFactory")
    created_at = factory.LazyFunction(timezone.now)


class StoryFeedEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StoryFeedEntry

    user = factory.SubFactory(UserFactory)
    story = factory.SubFactory(StoryFactory)
    score = 1.0
    reason = "trending"
    computed_at = factory.LazyFunction(timezone.now)


def story_about(product, **kwargs):
    """A published story mentioning ``product`` (through the mention service, so the story's
    main category and shop are set as in the app)."""
    story = StoryFactory(**kwargs)
    story_mentions_set(story=story, product_ids=[product.pk], shop_ids=[])
    return story
