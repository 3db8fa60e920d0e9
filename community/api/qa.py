from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from community.api.people import PersonSerializer
from community.models import Answer, Question, QuestionInvitation
from community.selectors import qa as selectors
from community.services import qa as services
from core.ids import MAX_ID
from marketplace.selectors.catalogue import product_get_public_brief


class AnswerSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    question = serializers.IntegerField(source="question_id", read_only=True)
    author = PersonSerializer(read_only=True)
    text = serializers.CharField(max_length=4000)
    is_verified_buyer = serializers.BooleanField(read_only=True, help_text=_("The author bought this product."))
    is_accepted = serializers.BooleanField(read_only=True, help_text=_("The asker marked it as the one that helped."))
    helpful_count = serializers.IntegerField(read_only=True)
    not_helpful_count = serializers.IntegerField(read_only=True)
    my_vote = serializers.IntegerField(read_only=True, allow_null=True, default=None)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


class QuestionSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    product = serializers.IntegerField(source="product_id", min_value=1, max_value=MAX_ID)
    product_title = serializers.CharField(source="product.title", read_only=True)
    author = PersonSerializer(read_only=True)
    text = serializers.CharField(max_length=1000)
    answer_count = serializers.IntegerField(read_only=True)
    accepted_answer = serializers.IntegerField(source="accepted_answer_id", read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


class FeedQuestionSerializer(QuestionSerializer):
    reason = serializers.ChoiceField(
        choices=["bought", "interest", "popular"], read_only=True, help_text=_("Why it is in your feed.")
    )


class InvitationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    question = QuestionSerializer()
    created_at = serializers.DateTimeField()


class TextSerializer(serializers.Serializer):
    text = serializers.CharField()


class VoteSerializer(serializers.Serializer):
    value = serializers.ChoiceField(choices=[1, -1], help_text=_("+1 helpful, -1 not helpful"))


VoteResult = inline_serializer(
    "VoteResult",
    {
        "my_vote": serializers.IntegerField(allow_null=True),
        "helpful_count": serializers.IntegerField(),
        "not_helpful_count": serializers.IntegerField(),
    },
)


#: ``?product=`` of the question list: a product id (one beyond 64 bits was a 500 on SQLite).
_PRODUCT_ID = serializers.IntegerField(min_value=1, max_value=MAX_ID)


class QuestionListView(generics.ListCreateAPIView):
    """GET: visible questions, newest first (``?product=<id>`` for one product). POST: ask about
    a product (``{"product", "text"}``); recent buyers are invited to answer."""

    serializer_class = QuestionSerializer

    @extend_schema(parameters=[OpenApiParameter("product", OpenApiTypes.INT, description="Only this product")])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        product = self.request.query_params.get("product")
        product_id = None
        if product:  # an id, else a 400 naming the parameter (not every question, not a 500)
            try:
                product_id = _PRODUCT_ID.run_validation(product)
            except serializers.ValidationError as error:
                raise serializers.ValidationError({"product": error.detail}) from error
        return selectors.question_list(product_id=product_id, with_answers=False)

    def create(self, request, *args, **kwargs):
        data = QuestionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        product = product_get_public_brief(product_id=data.validated_data["product_id"])
        question = services.question_ask(author=request.user, product=product, text=data.validated_data["text"])
        return Response(QuestionSerializer(question).data, status=status.HTTP_201_CREATED)


class QuestionDetailView(APIView):
    """GET a question; PATCH ``{"text"}`` (author, within the edit window); DELETE (author)."""

    @extend_schema(responses=QuestionSerializer)
    def get(self, request, pk: int):
        return Response(QuestionSerializer(selectors.question_get_visible(question_id=pk, with_answers=False)).data)

    @extend_schema(request=TextSerializer, responses=QuestionSerializer)
    def patch(self, request, pk: int):
        data = TextSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        question = selectors.question_get_for_author(user=request.user, question_id=pk)
        question = services.question_edit(user=request.user, question=question, text=data.validated_data["text"])
        return Response(QuestionSerializer(question).data)

    @extend_schema(responses={204: None})
    def delete(self, request, pk: int):
        services.question_delete(
            user=request.user, question=selectors.question_get_for_author(user=request.user, question_id=pk)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class AnswerListView(generics.ListCreateAPIView):
    """GET: a question's answers, verified buyers first, then by helpfulness. POST ``{"text"}``:
    answer it (once per person)."""

    serializer_class = AnswerSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Answer.objects.none()
        question = selectors.question_get_visible(question_id=self.kwargs["pk"], with_answers=False)
        return selectors.answer_list(question=question, user=self.request.user)

    def create(self, request, *args, **kwargs):
        data = TextSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        question = selectors.question_get_visible(question_id=self.kwargs["pk"], with_answers=False)
        answer = services.answer_post(author=request.user, question=question, text=data.validated_data["text"])
        answer = selectors.answer_list(question=question, user=request.user).get(pk=answer.pk)
        return Response(AnswerSerializer(answer).data, status=status.HTTP_201_CREATED)


class AnswerDetailView(APIView):
    """PATCH ``{"text"}`` (author, within the edit window); DELETE (author)."""

    @extend_schema(request=TextSerializer, responses=AnswerSerializer)
    def patch(self, request, pk: int):
        data = TextSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        answer = selectors.answer_get_for_author(user=request.user, answer_id=pk)
        services.answer_edit(user=request.user, answer=answer, text=data.validated_data["text"])
        return Response(
            AnswerSerializer(selectors.answer_list(question=answer.question, user=request.user).get(pk=pk)).data
        )

    @extend_schema(responses={204: None})
    def delete(self, request, pk: int):
        services.answer_delete(
            user=request.user, answer=selectors.answer_get_for_author(user=request.user, answer_id=pk)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class AnswerVoteView(APIView):
    """POST ``{"value": 1 | -1}`` votes (again to change); DELETE takes the vote back."""

    permission_classes = [permissions.IsAuthenticated]

    def _result(self, answer, my_vote):
        answer.refresh_from_db(fields=["helpful_count", "not_helpful_count"])
        return Response(
            {"my_vote": my_vote, "helpful_count": answer.helpful_count, "not_helpful_count": answer.not_helpful_count}
        )

    @extend_schema(request=VoteSerializer, responses=VoteResult)
    def post(self, request, pk: int):
        data = VoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        answer = selectors.answer_get_visible(answer_id=pk)
        vote = services.answer_vote(user=request.user, answer=answer, value=data.validated_data["value"])
        return self._result(answer, vote.value)

    @extend_schema(request=None, responses=VoteResult)
    def delete(self, request, pk: int):
        answer = selectors.answer_get_visible(answer_id=pk)
        services.answer_unvote(user=request.user, answer=answer)
        return self._result(answer, None)


class AnswerAcceptView(APIView):
    """The asker marks the answer that helped."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=None, responses=QuestionSerializer)
    def post(self, request, pk: int):
        question = services.answer_accept(user=request.user, answer=selectors.answer_get_visible(answer_id=pk))
        return Response(QuestionSerializer(question).data)


class QuestionsForYouView(generics.ListAPIView):
    """Your personalised question feed (popular questions when we know nothing about you yet)."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = FeedQuestionSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Question.objects.none()
        return selectors.question_feed_for_you(user=self.request.user)


class QuestionsToAnswerView(generics.ListAPIView):
    """Open invitations: questions about products you bought, waiting for your answer."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = InvitationSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return QuestionInvitation.objects.none()
        return selectors.invitation_list_open(user=self.request.user)
