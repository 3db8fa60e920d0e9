"""The Headline API (thin: validate → one service or selector → respond)."""

from django.core.files.storage import default_storage
from django.http import Http404
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import generics, permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from community.api.people import PersonSerializer
from core.errors import ApplicationError
from core.ids import MAX_ID
from core.parsers import FormParser, JSONParser, MultiPartParser
from headline.api_pagination import StoryCursorPagination
from headline.errors import StoryErrorCode
from headline.models import FeedReason, Story, StoryComment
from headline.selectors import feeds as feed_selectors
from headline.selectors import stories as selectors
from headline.services import engagement, stories
from headline.views import viewer_key

# --- serializers -----------------------------------------------------------------------------


class TopicSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    date = serializers.DateField()
    title = serializers.CharField()
    prompt = serializers.CharField()
    cover = serializers.ImageField(allow_null=True)
    story_count = serializers.IntegerField(required=False, help_text="Public stories in this topic.")
    url = serializers.CharField(source="get_absolute_url")


class TopicBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    date = serializers.DateField()
    title = serializers.CharField()


class MentionedProductSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    shop = serializers.CharField(source="shop.name")
    price = serializers.DecimalField(max_digits=12, decimal_places=2, help_text="List price.")
    effective_price = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="The price now (a live sale deal, else the list price)."
    )
    in_stock = serializers.SerializerMethodField()
    click_url = serializers.SerializerMethodField(help_text="The counting redirect to the product page (use it).")

    def get_in_stock(self, product) -> bool:
        return product.stock > 0

    def get_click_url(self, product) -> str:
        return f"/stories/{self.context['story_id']}/go/product/{product.pk}/"


class MentionedShopSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.SlugField()
    click_url = serializers.SerializerMethodField(help_text="The counting redirect to the shop page (use it).")

    def get_click_url(self, shop) -> str:
        return f"/stories/{self.context['story_id']}/go/shop/{shop.pk}/"


class StoryImageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    image = serializers.ImageField()
    image_320 = serializers.ImageField(allow_null=True, help_text="Null until the display size is made.")
    image_960 = serializers.ImageField(allow_null=True)
    width = serializers.IntegerField()
    height = serializers.IntegerField()


class StorySerializer(serializers.Serializer):
    """A story card: ``body_html`` is the sanitised rendering (safe to insert as HTML)."""

    id = serializers.IntegerField()
    url = serializers.CharField(source="get_absolute_url")
    author = PersonSerializer()
    topic = TopicBriefSerializer(allow_null=True)
    title = serializers.CharField()
    body_html = serializers.CharField(help_text="Sanitised HTML rendered from the Markdown body.")
    cover = serializers.SerializerMethodField()
    products = serializers.SerializerMethodField()
    shops = serializers.SerializerMethodField()
    like_count = serializers.IntegerField()
    comment_count = serializers.IntegerField()
    view_count = serializers.IntegerField()
    liked = serializers.BooleanField(help_text="Whether the signed-in caller likes it.")
    featured = serializers.BooleanField()
    published_at = serializers.DateTimeField()

    def get_cover(self, story) -> str | None:
        name = getattr(story, "cover_320", None) or getattr(story, "cover", None)
        if not name:
            return None
        url = default_storage.url(name)
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url

    @extend_schema_field(MentionedProductSerializer(many=True))
    def get_products(self, story) -> list[dict]:
        context = {**self.context, "story_id": story.pk}
        products = [m.product for m in story.product_cards if m.product is not None]
        return MentionedProductSerializer(products, many=True, context=context).data

    @extend_schema_field(MentionedShopSerializer(many=True))
    def get_shops(self, story) -> list[dict]:
        context = {**self.context, "story_id": story.pk}
        return MentionedShopSerializer([m.shop for m in story.shop_cards], many=True, context=context).data


class StoryDetailSerializer(StorySerializer):
    images = StoryImageSerializer(many=True, source="image_list")
    body = serializers.SerializerMethodField(help_text="The Markdown source: only for its author (for editing).")

    def get_body(self, story) -> str | None:
        request = self.context.get("request")
        return story.body if request and request.user.pk == story.author_id else None


class StoryDraftSerializer(serializers.Serializer):
    """What saving a draft answers: the draft is the author's alone, so no card fields."""

    id = serializers.IntegerField()
    draft = serializers.BooleanField()


#: Creating or editing a story answers the story, or ``{"id", "draft": true}`` for a draft.
STORY_SAVED = PolymorphicProxySerializer(
    component_name="StorySaved",
    serializers=[StoryDetailSerializer, StoryDraftSerializer],
    resource_type_field_name=None,
)


class FeedStorySerializer(StorySerializer):
    reason = serializers.ChoiceField(choices=FeedReason.choices, help_text="Why it is in this feed.")
    reason_category = serializers.CharField(
        source="reason_category_name", allow_null=True, help_text="The category behind bought/interest reasons."
    )


class StoryWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=120)
    body = serializers.CharField(max_length=20000, help_text="Markdown.")
    topic = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=MAX_ID, help_text="Today's or a past topic's id."
    )
    products = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), required=False, max_length=9
    )
    shops = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), required=False, max_length=3
    )
    publish = serializers.BooleanField(default=True, help_text="False saves a draft.")


class StoryCreateSerializer(StoryWriteSerializer):
    images = serializers.ListField(
        child=serializers.FileField(), required=False, max_length=9, help_text="Multipart: up to 9 images."
    )


class CommentSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    author = PersonSerializer(read_only=True)
    body = serializers.CharField(max_length=2000)
    parent = serializers.IntegerField(
        source="parent_id", required=False, allow_null=True, min_value=1, max_value=MAX_ID
    )
    created_at = serializers.DateTimeField(read_only=True)


class ThreadSerializer(CommentSerializer):
    replies = CommentSerializer(many=True, read_only=True, source="reply_list")


class StoryImageUploadSerializer(serializers.Serializer):
    image = serializers.FileField(help_text="A JPEG, PNG or WebP file.")


LikeResult = inline_serializer(
    "LikeResult", {"liked": serializers.BooleanField(), "like_count": serializers.IntegerField()}
)

# --- views -----------------------------------------------------------------------------------


def _mentions(data: dict) -> dict:
    return {
        "title": data["title"],
        "body": data["body"],
        "topic_id": data.get("topic"),
        "product_ids": data.get("products", []),
        "shop_ids": data.get("shops", []),
    }


def _detail(request, story_id: int) -> Response:
    story = selectors.story_get_public(story_id=story_id, viewer=request.user)
    return Response(StoryDetailSerializer(story, context={"request": request}).data)


class TopicListView(generics.ListAPIView):
    """Today's and past topics of the day, newest first, with their story counts."""

    serializer_class = TopicSerializer
    permission_classes = [permissions.AllowAny]

    def get_queryset(self):
        return selectors.topic_list_public()


class TopicTodayView(APIView):
    """Today's topic and its best stories (featured first, then most liked); 404 when none."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(
        responses=inline_serializer(
            "TodayTopic", {"topic": TopicSerializer(), "best_stories": StorySerializer(many=True)}
        )
    )
    def get(self, request):
        topic = selectors.topic_get_today()
        if topic is None:
            raise ApplicationError(_("There is no topic today."), status=404, code=StoryErrorCode.NOT_FOUND)
        best = selectors.story_list_best_for_topic(topic=topic, viewer=request.user)
        context = {"request": request}
        return Response(
            {
                "topic": TopicSerializer(topic, context=context).data,
                "best_stories": StorySerializer(best, many=True, context=context).data,
            }
        )


class TopicStoriesView(generics.ListAPIView):
    """A topic's stories (``YYYY-MM-DD``), ``?order=newest`` (default) or ``liked``."""

    serializer_class = StorySerializer
    permission_classes = [permissions.AllowAny]
    queryset = Story.objects.none()  # for the schema; get_queryset answers requests

    @extend_schema(parameters=[OpenApiParameter("order", str, enum=["newest", "liked"])])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        day = parse_date(self.kwargs["day"])
        if day is None:
            raise Http404
        topic = selectors.topic_get_public(day=day)
        ordering = self.request.query_params.get("order", "newest")
        return selectors.story_list_for_topic(topic=topic, ordering=ordering, viewer=self.request.user)


class StoryListView(generics.ListAPIView):
    """GET: public stories, newest first (``?author=<username>`` for one person). POST: tell a
    story (JSON, or multipart with ``images``); ``publish: false`` saves a draft."""

    serializer_class = StorySerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(parameters=[OpenApiParameter("author", OpenApiTypes.STR, description="Only this username")])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        public = selectors.story_list_public()
        author = self.request.query_params.get("author")
        if author:
            public = public.filter(author__username=author)
        return selectors.story_cards(public, viewer=self.request.user).order_by("-published_at", "-id")

    @extend_schema(request=StoryCreateSerializer, responses={201: STORY_SAVED})
    def post(self, request):
        data = StoryCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        story = stories.story_create(
            author=request.user,
            images=data.validated_data.get("images", []),
            publish=data.validated_data["publish"],
            **_mentions(data.validated_data),
        )
        if story.is_draft:
            return Response({"id": story.pk, "draft": True}, status=status.HTTP_201_CREATED)
        response = _detail(request, story.pk)
        response.status_code = status.HTTP_201_CREATED
        return response


class StoryDetailView(APIView):
    """GET a public story (counts a view once per viewer per day); PATCH (author: edit, or
    ``publish: true`` a draft); DELETE (author: soft delete)."""

    @extend_schema(responses=StoryDetailSerializer)
    def get(self, request, pk: int):
        story = selectors.story_get_public(story_id=pk, viewer=request.user)
        engagement.story_view_record(story=story, viewer=viewer_key(request))
        return Response(StoryDetailSerializer(story, context={"request": request}).data)

    @extend_schema(request=StoryWriteSerializer, responses=STORY_SAVED)
    def patch(self, request, pk: int):
        story = selectors.story_get_for_author(user=request.user, story_id=pk)
        data = StoryWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        stories.story_update(story=story, **_mentions(data.validated_data))
        if data.validated_data["publish"]:
            stories.story_publish(story=story)
        if story.is_draft:
            return Response({"id": story.pk, "draft": True})
        return _detail(request, story.pk)

    @extend_schema(responses={204: None})
    def delete(self, request, pk: int):
        stories.story_delete(story=selectors.story_get_for_author(user=request.user, story_id=pk), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class StoryLikeView(APIView):
    """POST: like (idempotent); DELETE: undo. Answers the new state and count."""

    permission_classes = [permissions.IsAuthenticated]

    def _answer(self, story_id: int, liked: bool) -> Response:
        count = selectors.story_list_public().values_list("like_count", flat=True).get(pk=story_id)
        return Response({"liked": liked, "like_count": count})

    @extend_schema(request=None, responses=LikeResult)
    def post(self, request, pk: int):
        story = selectors.story_get_public(story_id=pk)
        engagement.story_like(user=request.user, story=story)
        return self._answer(story.pk, True)

    @extend_schema(request=None, responses=LikeResult)
    def delete(self, request, pk: int):
        story = selectors.story_get_public(story_id=pk)
        engagement.story_unlike(user=request.user, story=story)
        return self._answer(story.pk, False)


class StoryCommentsView(generics.ListAPIView):
    """GET: a story's comments, oldest first, each with its replies. POST ``{"body", "parent"?}``:
    comment, or reply to a top-level comment."""

    serializer_class = ThreadSerializer
    queryset = StoryComment.objects.none()  # for the schema

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return selectors.comment_list_for_story(story=selectors.story_get_public(story_id=self.kwargs["pk"]))

    @extend_schema(request=CommentSerializer, responses={201: CommentSerializer})
    def post(self, request, pk: int):
        story = selectors.story_get_public(story_id=pk)
        data = CommentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        parent_id = data.validated_data.get("parent_id")
        parent = selectors.comment_get_public(story=story, comment_id=parent_id) if parent_id else None
        comment = engagement.comment_post(
            author=request.user, story=story, body=data.validated_data["body"], parent=parent
        )
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)


class StoryImagesView(APIView):
    """POST (author, multipart ``image``): add a picture (at most 9); the display sizes appear
    a moment later."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request={"multipart/form-data": StoryImageUploadSerializer}, responses={201: StoryImageSerializer})
    def post(self, request, pk: int):
        story = selectors.story_get_for_author(user=request.user, story_id=pk)
        data = StoryImageUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        image = stories.story_image_add(story=story, upload=data.validated_data["image"])
        return Response(StoryImageSerializer(image, context={"request": request}).data, status=status.HTTP_201_CREATED)


class FollowingFeedView(generics.ListAPIView):
    """Stories by the people and shops you follow, newest first, cursor-paged (``next`` links
    neither repeat nor skip stories while new ones arrive)."""

    serializer_class = StorySerializer
    pagination_class = StoryCursorPagination
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Story.objects.none()
        return feed_selectors.story_feed_following(user=self.request.user)


class ForYouFeedView(generics.ListAPIView):
    """Your precomputed "for you" stories with a reason on each (trending for a cold start or
    when signed out)."""

    serializer_class = FeedStorySerializer
    permission_classes = [permissions.AllowAny]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Story.objects.none()
        return feed_selectors.story_feed_for_you(user=self.request.user)


class TrendingFeedView(generics.ListAPIView):
    """Trending stories: engagement with time decay, ranked every few minutes."""

    serializer_class = FeedStorySerializer
    permission_classes = [permissions.AllowAny]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Story.objects.none()
        return feed_selectors.story_feed_trending(viewer=self.request.user)
