"""Story reads: THE visibility rule (:func:`story_list_public`), cards with shoppable mentions,
a story page, topics, comments and a blogger's figures.

Every read of stories starts from :func:`story_list_public` and every read of comments from
:func:`comment_list_public`, so hiding, deleting or banning makes content vanish from every
page, feed, slot and API response at once.
"""

from datetime import date, datetime

from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone

from community.models import User
from core.visibility import Visibility
from headline.models import Story, StoryComment, StoryImage, StoryLike, StoryProduct, StoryShop, Topic
from marketplace.selectors.catalogue import product_list_public, shop_list_public

#: Orders of a topic's stories.
TOPIC_ORDERINGS = {"newest": ("-published_at", "-id"), "liked": ("-like_count", "-id")}


def story_list_public() -> QuerySet[Story]:
    """THE visibility rule for stories: published, VISIBLE, by an active person. Nothing else
    decides who may see a story."""
    return Story.objects.filter(visibility=Visibility.VISIBLE, published_at__isnull=False, author__is_active=True)


def comment_list_public() -> QuerySet[StoryComment]:
    """THE visibility rule for comments: VISIBLE, by an active person, on a public story."""
    return StoryComment.objects.filter(
        visibility=Visibility.VISIBLE, author__is_active=True, story__in=story_list_public()
    )


def _annotate_cover(queryset: QuerySet[Story]) -> QuerySet[Story]:
    first = StoryImage.objects.filter(story=OuterRef("pk")).order_by("position", "id")
    return queryset.annotate(
        cover=Subquery(first.values("image")[:1]), cover_320=Subquery(first.values("image_320")[:1])
    )


def story_cards(
    queryset: QuerySet[Story], *, viewer: User | None = None, now: datetime | None = None
) -> QuerySet[Story]:
    """Stories ready for cards: author and topic joined, ``cover``/``cover_320`` (first image)
    and ``liked`` (by ``viewer``) annotated, and the mentioned products (public ones, with the
    live effective price, as ``product_cards``) and shops (open ones, as ``shop_cards``)
    prefetched: three queries for any number of stories."""
    products = product_list_public(now=now)
    queryset = _annotate_cover(queryset.select_related("author", "topic")).prefetch_related(
        Prefetch(
            "product_mentions",
            StoryProduct.objects.filter(product__in=products.values("pk")).prefetch_related(
                Prefetch("product", products)
            ),
            to_attr="product_cards",
        ),
        Prefetch(
            "shop_mentions",
            StoryShop.objects.filter(shop__in=shop_list_public().values("pk")).select_related("shop"),
            to_attr="shop_cards",
        ),
    )
    if viewer is not None and viewer.is_authenticated:
        return queryset.annotate(liked=Exists(StoryLike.objects.filter(story=OuterRef("pk"), user=viewer)))
    return queryset.annotate(liked=Value(False))


def story_get_public(*, story_id: int, viewer: User | None = None) -> Story:
    """A public story for its page: cards as in :func:`story_cards` plus all its images."""
    queryset = story_cards(story_list_public(), viewer=viewer).prefetch_related(
        Prefetch("images", StoryImage.objects.order_by("position", "id"), to_attr="image_list")
    )
    return get_object_or_404(queryset, pk=story_id)


def story_get_for_author(*, user: User, story_id: int) -> Story:
    """One of ``user``'s own stories that is not deleted (drafts and hidden ones included),
    for editing; 404 for anyone else's."""
    return get_object_or_404(
        Story.objects.exclude(visibility=Visibility.REMOVED).select_related("topic"), pk=story_id, author=user
    )


def story_list_drafts(*, user: User) -> QuerySet[Story]:
    return Story.objects.filter(author=user, published_at__isnull=True).exclude(visibility=Visibility.REMOVED)


def _brief(queryset: QuerySet[Story], limit: int) -> list[Story]:
    """Short story links (title, author, cover, likes), newest first, in one query."""
    return list(_annotate_cover(queryset.select_related("author")).order_by("-published_at", "-id")[:limit])


def story_list_by_author(*, author_id: int, limit: int = 6) -> list[Story]:
    """A person's latest public stories as short links (title, cover, likes; one query)."""
    return _brief(story_list_public().filter(author_id=author_id), limit)


def story_list_for_topic(*, topic: Topic, ordering: str = "newest", viewer: User | None = None) -> QuerySet[Story]:
    """A topic's public stories as cards, ``newest`` or most ``liked`` first."""
    order = TOPIC_ORDERINGS.get(ordering, TOPIC_ORDERINGS["newest"])
    return story_cards(story_list_public().filter(topic=topic), viewer=viewer).order_by(*order)


def story_list_best_for_topic(*, topic: Topic, limit: int = 4, viewer: User | None = None) -> list[Story]:
    """A topic's best stories: featured ones first, then the most liked."""
    stories = story_cards(story_list_public().filter(topic=topic), viewer=viewer)
    return list(stories.order_by("-featured", "-like_count", "-published_at", "-id")[:limit])


def story_list_about_product(*, product_id: int, limit: int = 4) -> list[Story]:
    """Public stories that mention a product, newest first ("stories about this"; one query)."""
    return _brief(
        story_list_public().filter(pk__in=StoryProduct.objects.filter(product_id=product_id).values("story_id")), limit
    )


def story_list_about_shop(*, shop_id: int, limit: int = 4) -> list[Story]:
    """Public stories that mention a shop or one of its products, newest first (one query)."""
    about = Q(pk__in=StoryShop.objects.filter(shop_id=shop_id).values("story_id")) | Q(
        pk__in=StoryProduct.objects.filter(product__shop_id=shop_id).values("story_id")
    )
    return _brief(story_list_public().filter(about), limit)


def story_ids_public(ids) -> QuerySet[Story]:
    """Public stories among ``ids`` (for cached rankings that must drop hidden stories)."""
    return story_list_public().filter(pk__in=list(ids))


# --- topics ----------------------------------------------------------------------------------


def topic_get_today(*, today: date | None = None) -> Topic | None:
    """Today's topic (local date), with its featured products' ids loaded; or None."""
    today = today or timezone.localdate()
    return Topic.objects.filter(date=today).first()


def topic_get_public(*, day: date, today: date | None = None) -> Topic:
    """The topic of ``day`` if that day has come (future topics stay private); else 404."""
    today = today or timezone.localdate()
    return get_object_or_404(Topic.objects.filter(date__lte=today), date=day)


def topic_list_public(*, today: date | None = None) -> QuerySet[Topic]:
    """Today's and past topics, newest first, each with ``story_count`` (public stories)."""
    today = today or timezone.localdate()
    counted = (
        story_list_public().filter(topic=OuterRef("pk")).order_by().values("topic").annotate(n=Count("pk")).values("n")
    )
    return (
        Topic.objects.filter(date__lte=today)
        .annotate(story_count=Coalesce(Subquery(counted), Value(0)))
        .order_by("-date")
    )


def topic_featured_products(*, topic: Topic, now: datetime | None = None) -> list:
    """The topic's featured products that are public, with live prices (one query)."""
    return list(product_list_public(now=now).filter(pk__in=topic.featured_products.values("pk")))


# --- comments --------------------------------------------------------------------------------


def comment_list_for_story(*, story: Story) -> QuerySet[StoryComment]:
    """A story's public top-level comments, oldest first, with their public replies in
    ``reply_list`` (two queries)."""
    visible = comment_list_public().select_related("author")
    return (
        visible.filter(story=story, parent__isnull=True)
        .prefetch_related(Prefetch("replies", visible.order_by("created_at", "id"), to_attr="reply_list"))
        .order_by("created_at", "id")
    )


def comment_get_public(*, story: Story, comment_id: int) -> StoryComment:
    return get_object_or_404(comment_list_public().filter(story=story), pk=comment_id)


def comment_get_for_author(*, user: User, comment_id: int) -> StoryComment:
    return get_object_or_404(
        StoryComment.objects.exclude(visibility=Visibility.REMOVED).select_related("story"),
        pk=comment_id,
        author=user,
    )


# --- bloggers --------------------------------------------------------------------------------


def blogger_stats(*, author_id: int) -> dict[str, int]:
    """A person's public stories and what they did, in one query: ``stories``, ``likes``,
    ``views``, ``clicks`` (click-throughs to shops) and ``orders`` (placed within the
    attribution window after a click, not cancelled)."""
    totals = (
        story_list_public()
        .filter(author_id=author_id)
        .aggregate(
            stories=Count("pk"),
            likes=Coalesce(Sum("like_count"), 0),
            views=Coalesce(Sum("view_count"), 0),
            clicks=Coalesce(Sum("click_count"), 0),
            orders=Coalesce(Sum("order_count"), 0),
        )
    )
    return totals


def story_count_public(*, author) -> Coalesce:
    """A correlated count of ``author``'s public stories (``author`` is an ``OuterRef`` to a
    user): registered with community as a kind of post, so stories make a "blogger"."""
    counted = story_list_public().filter(author_id=author).order_by().values("author_id").annotate(n=Count("pk"))
    return Coalesce(Subquery(counted.values("n"), output_field=IntegerField()), Value(0))


def shop_ids_for_slugs(slugs) -> dict[str, int]:
    """``{slug: id}`` of the open shops among ``slugs`` (the story form names shops by slug)."""
    return dict(shop_list_public().filter(slug__in=list(slugs)).values_list("slug", "pk"))


def topic_list_for_posting(*, today: date | None = None, limit: int = 14) -> list[Topic]:
    """Topics a new story may join: today's and the recent past ones, newest first."""
    today = today or timezone.localdate()
    return list(Topic.objects.filter(date__lte=today).order_by("-date")[:limit])


def story_mentions(story: Story) -> tuple[set[int], set[int]]:
    """The public product and shop ids a card-loaded story (:func:`story_cards`) shows."""
    return (
        {m.product_id for m in story.product_cards if m.product is not None},
        {m.shop_id for m in story.shop_cards},
    )
