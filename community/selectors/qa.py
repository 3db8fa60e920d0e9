"""Question and answer reads: the product's Q&A section, a question page, the "for you" feed,
invitations, and the buyers a new question is routed to."""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    FilteredRelation,
    FloatField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import Cast, Coalesce, Ln
from django.shortcuts import get_object_or_404
from django.utils import timezone

from community.models import (
    Answer,
    AnswerVote,
    FeedReason,
    InterestProfile,
    Question,
    QuestionFeedEntry,
    QuestionInvitation,
    User,
)
from core.queries import CompiledQuery
from core.visibility import Visibility
from marketplace.selectors.catalogue import product_public_q
from marketplace.selectors.orders import order_line_list_purchased

#: Questions on public products only (an active product of an active shop): a hidden shop's
#: questions leave pages, the API and the feeds with its product page.
ON_PUBLIC_PRODUCT = product_public_q("product__")

#: "For you" scoring: interest weights are ~5 for a fresh purchase in a category and ~1 for a
#: view; owning the product adds BOUGHT_BONUS; popularity adds ln(1 + answers).
BOUGHT_BONUS = 3.0
OPEN_BONUS = 0.5


def answer_annotate(queryset: QuerySet[Answer], *, user: User | None = None) -> QuerySet[Answer]:
    """Annotate ``is_verified_buyer`` (derived from orders at read time, so it disappears when
    the order is cancelled before payment), ``is_accepted``, ``net_helpful`` and, for a signed-in ``user``,
    ``my_vote`` (+1, -1 or None); ordered verified buyers first, then by helpfulness."""
    queryset = queryset.annotate(
        is_verified_buyer=Exists(
            order_line_list_purchased(buyer_id=OuterRef("author_id"), product_id=OuterRef("question__product_id"))
        ),
        is_accepted=Case(
            When(question__accepted_answer_id=F("pk"), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
        net_helpful=F("helpful_count") - F("not_helpful_count"),
    )
    if user is not None and user.is_authenticated:
        queryset = queryset.annotate(
            my_vote=Subquery(AnswerVote.objects.filter(answer=OuterRef("pk"), user=user).values("value")[:1])
        )
    return queryset.order_by("-is_verified_buyer", "-net_helpful", "-helpful_count", "created_at", "id")


def _visible_answers(user: User | None) -> QuerySet[Answer]:
    return answer_annotate(Answer.objects.filter(visibility=Visibility.VISIBLE).select_related("author"), user=user)


def answer_list(*, question: Question, user: User | None = None) -> QuerySet[Answer]:
    """A question's visible answers, ordered and annotated as in :func:`answer_annotate`."""
    return _visible_answers(user).filter(question=question)


def question_list_public() -> QuerySet[Question]:
    """Questions anyone may see: visible, on a public product (no annotations)."""
    return Question.objects.filter(ON_PUBLIC_PRODUCT, visibility=Visibility.VISIBLE)


def answer_list_public() -> QuerySet[Answer]:
    """Answers anyone may see: visible, to a question anyone may see (no annotations)."""
    return Answer.objects.filter(visibility=Visibility.VISIBLE, question__in=question_list_public())


def question_list(
    *, product_id: int | None = None, user: User | None = None, with_answers: bool = True
) -> QuerySet[Question]:
    """Visible questions (of one product when given), newest first, with ``author_is_buyer`` and,
    ``with_answers``, ``visible_answers`` (ordered as in :func:`answer_annotate`; one more query)."""
    questions = question_list_public()
    if product_id is not None:
        questions = questions.filter(product_id=product_id)
    questions = (
        questions.select_related("author", "product")
        .annotate(
            author_is_buyer=Exists(
                order_line_list_purchased(buyer_id=OuterRef("author_id"), product_id=OuterRef("product_id"))
            )
        )
        .order_by("-created_at", "-id")
    )
    if with_answers:
        questions = questions.prefetch_related(Prefetch("answers", _visible_answers(user), to_attr="visible_answers"))
    return questions


def question_get_visible(*, question_id: int, user: User | None = None, with_answers: bool = True) -> Question:
    return get_object_or_404(question_list(user=user, with_answers=with_answers), pk=question_id)


#: The product page's Q&A summary shows this many answered questions.
SUMMARY_QUESTIONS = 2


def qa_product_tag(product_id: int) -> str:
    """The cache tag of a product's Q&A: the product page (which shows :func:`question_summary`)
    depends on it, and every Q&A write about the product bumps it on commit."""
    return f"qa:v:p:{product_id}"


def question_summary(*, product_id: int) -> dict:
    """What the product page shows of its Q&A: ``count`` (visible questions) and ``top`` — up to
    :data:`SUMMARY_QUESTIONS` answered questions, most answered first, each with ``best_answer``
    (a list of at most one: verified buyers first, then the most helpful; ``is_verified_buyer``
    annotated). One query when nobody asked yet, three otherwise, whatever the numbers. The
    product is public: the caller checked (``product_is_public``)."""
    questions = Question.objects.filter(product_id=product_id, visibility=Visibility.VISIBLE)
    count = questions.count()
    if not count:
        return {"count": 0, "top": []}
    top = (
        questions.filter(answer_count__gt=0)
        .select_related("author")
        .prefetch_related(Prefetch("answers", _visible_answers(None)[:1], to_attr="best_answer"))
        .order_by("-answer_count", "-created_at", "-id")[:SUMMARY_QUESTIONS]
    )
    return {"count": count, "top": list(top)}


def answer_get_visible(*, answer_id: int) -> Answer:
    return get_object_or_404(
        Answer.objects.select_related("question", "author").filter(
            visibility=Visibility.VISIBLE, question__visibility=Visibility.VISIBLE
        ),
        pk=answer_id,
    )


def answer_get_for_author(*, user: User, answer_id: int) -> Answer:
    """The author's own answer in any visibility but REMOVED (deleted is gone for them too)."""
    return get_object_or_404(
        Answer.objects.select_related("question").exclude(visibility=Visibility.REMOVED), pk=answer_id, author=user
    )


def question_get_for_author(*, user: User, question_id: int) -> Question:
    """The author's own question in any visibility but REMOVED."""
    return get_object_or_404(Question.objects.exclude(visibility=Visibility.REMOVED), pk=question_id, author=user)


def answer_list_by_author(*, author: User) -> QuerySet[Answer]:
    """A person's visible answers, newest first (their profile)."""
    return answer_annotate(
        Answer.objects.filter(
            author=author, visibility=Visibility.VISIBLE, question__visibility=Visibility.VISIBLE
        ).select_related("question__product", "author")
    ).order_by("-created_at", "-id")


# --- feeds -----------------------------------------------------------------------------------


def _feed_candidates(*, now: datetime) -> QuerySet[Question]:
    days = settings.QUESTION_FEED_DAYS
    return Question.objects.filter(
        ON_PUBLIC_PRODUCT,
        visibility=Visibility.VISIBLE,
        created_at__gte=now - timedelta(days=days),
    )


def _feed_rows(questions: QuerySet[Question]) -> QuerySet[Question]:
    return questions.select_related("product", "product__category", "author")


def _not_answered_by(user: User) -> Exists:
    return ~Exists(Answer.objects.filter(question=OuterRef("pk"), author=user))


def _popularity():
    return Ln(Cast(F("answer_count"), FloatField()) + Value(1.0))


#: Most answered first; the partial index ``question_popular`` serves this order.
POPULAR_ORDER = ("-answer_count", "-created_at", "-id")
POPULAR_CACHE_SECONDS = 60


def _popular_ids(*, now: datetime) -> list[int]:
    size = settings.QUESTION_FEED_SIZE
    return list(_feed_candidates(now=now).order_by(*POPULAR_ORDER).values_list("pk", flat=True)[:size])


def question_feed_popular(*, user: User | None = None, now: datetime | None = None) -> QuerySet[Question]:
    """The ``QUESTION_FEED_SIZE`` most answered recent visible questions (what anonymous visitors
    and cold-start users see). The ranking (ids only) is cached for a minute, so a read is a
    lookup of at most that many questions by primary key; hidden ones drop out at once. For a
    signed-in ``user``, their own questions and those they answered are left out. Pass ``now``
    to rank afresh as of that moment (tests, jobs)."""
    if now is None:
        ids = cache.get_or_set(
            "community:questions:popular", lambda: _popular_ids(now=timezone.now()), POPULAR_CACHE_SECONDS
        )
    else:
        ids = _popular_ids(now=now)
    questions = Question.objects.filter(ON_PUBLIC_PRODUCT, pk__in=ids, visibility=Visibility.VISIBLE)
    if user is not None and user.is_authenticated:
        questions = questions.exclude(author=user).filter(_not_answered_by(user))
    return (
        _feed_rows(questions).annotate(score=_popularity(), reason=Value(FeedReason.POPULAR)).order_by(*POPULAR_ORDER)
    )


def question_feed_score(*, user: User, now: datetime) -> QuerySet[Question]:
    """The "for you" scoring — the one place it lives; ``services.feeds.question_feed_rebuild``
    stores its top rows. One scored query over visible questions of the last
    ``QUESTION_FEED_DAYS`` on active products: interest in the product's category (the user's
    InterestProfile), products they bought (they can answer), popularity, and a nudge for open
    questions — so the three sources mix and each question appears once, with ``score`` and
    ``reason``. Their own questions and ones they already answered are left out. A user with no
    interests and no purchases gets the popular order. It scores every candidate: run it in
    the background job, never on a page read."""
    interest = Subquery(
        InterestProfile.objects.filter(user=user, category_id=OuterRef("product__category_id")).values("weight")[:1],
        output_field=FloatField(),
    )
    bought = Exists(order_line_list_purchased(buyer_id=user.pk, product_id=OuterRef("product_id")))
    return (
        _feed_candidates(now=now)
        .exclude(author=user)
        .filter(_not_answered_by(user))
        .annotate(interest=Coalesce(interest, Value(0.0)), bought=bought)
        .annotate(
            score=(
                F("interest")
                + Case(When(bought=True, then=Value(BOUGHT_BONUS)), default=Value(0.0), output_field=FloatField())
                + Case(
                    When(accepted_answer__isnull=True, then=Value(OPEN_BONUS)),
                    default=Value(0.0),
                    output_field=FloatField(),
                )
                + _popularity()
            ),
            reason=Case(
                When(bought=True, then=Value(FeedReason.BOUGHT)),
                When(interest__gt=0, then=Value(FeedReason.INTEREST)),
                default=Value(FeedReason.POPULAR),
            ),
        )
        .order_by("-score", "-created_at", "-id")
    )


def _for_you(user: User | int) -> QuerySet[Question]:
    """The rows of ``user``'s "for you" feed (a user or an id), best first: see :func:`question_feed_for_you`."""
    entry = FilteredRelation("feed_entries", condition=Q(feed_entries__user=user))
    return (
        _feed_rows(Question.objects.annotate(entry=entry))
        .filter(ON_PUBLIC_PRODUCT, entry__isnull=False, visibility=Visibility.VISIBLE)
        .filter(_not_answered_by(user))
        .annotate(score=F("entry__score"), reason=F("entry__reason"))
        .order_by("-score", "-id")
    )


def question_feed_for_you(*, user: User) -> QuerySet[Question]:
    """``user``'s "for you" questions, read from their precomputed ``QuestionFeedEntry`` rows (see
    :func:`question_feed_score`): one query that walks the ``(user, -score)`` index and joins the
    question, its product, category and author — at most ``QUESTION_FEED_SIZE`` rows whatever
    the size of the question table. Questions hidden, taken off sale or answered by the user
    since the rebuild drop out at once. Someone without entries (never rebuilt: a cold start)
    gets :func:`question_feed_popular`, as do anonymous visitors."""
    if not user.is_authenticated or not QuestionFeedEntry.objects.filter(user=user).exists():
        return question_feed_popular(user=user)
    return _for_you(user)


#: What the questions page shows of a feed row: the question, its product, category and author.
FEED_CARD_FIELDS = (
    "text",
    "answer_count",
    "accepted_answer_id",
    "product__title",
    "product__category__name",
    "author__display_name",
    "author__username",
)


def _for_you_page(*, user_id: int, number: int, size: int) -> QuerySet[Question]:
    """Page ``number`` of :func:`_for_you` with only :data:`FEED_CARD_FIELDS`, each row with
    ``feed_total``: how many rows the whole feed has (a window over the same rows)."""
    rows = _for_you(user_id).only(*FEED_CARD_FIELDS).annotate(feed_total=Window(Count("pk")))
    return rows[(number - 1) * size : number * size]


#: Compiled once per process and page (``core.queries``): building and compiling the feed's
#: joins, the exists check and the paginator's COUNT cost ~15 ms of Python per page; prepared
#: once per connection (~7.5 ms of planning for 0.3 ms of execution).
_FOR_YOU_PAGES: dict[tuple[int, int], CompiledQuery] = {}


def question_feed_page_for_you(*, user: User, number, size: int) -> Page:
    """Page ``number`` (as ``Paginator.get_page`` takes it) of ``user``'s questions page: the
    "for you" feed (:func:`question_feed_for_you`, the same rows and order) in one query — the
    page's rows with the feed's length — compiled once per process. When that page is empty
    (a cold start, a page past the end, every entry hidden since) it is answered as before:
    ``Paginator(question_feed_for_you(...)).get_page(number)``. A page of the precomputed feed
    (the one query) has ``precomputed = True``: what the cached questions page stores (its
    entries, visibility and products are under the page's tags; a cold start's popular feed is
    not)."""
    try:
        wanted = int(number)
    except (TypeError, ValueError):
        wanted = 1
    if 1 <= wanted <= -(-settings.QUESTION_FEED_SIZE // size):
        query = _FOR_YOU_PAGES.get((wanted, size))
        if query is None:
            query = _FOR_YOU_PAGES.setdefault(
                (wanted, size),
                CompiledQuery(
                    lambda user_id: _for_you_page(user_id=user_id, number=wanted, size=size),
                    prepare=f"jishi_for_you_page_{wanted}_{size}",
                    user_id=(-7_300_201, -7_300_202),
                ),
            )
        rows = query.run(user_id=user.pk)
        if rows:
            page = Page(rows, wanted, _Counted(rows[0].feed_total, size))
            page.precomputed = True
            return page
    return Paginator(question_feed_for_you(user=user), size).get_page(number)


class _Counted(Paginator):
    """A paginator that knows its count already (the rows come with it)."""

    def __init__(self, count: int, per_page: int):
        super().__init__((), per_page)
        self.__dict__["count"] = count


def invitation_list_open(*, user: User) -> QuerySet[QuestionInvitation]:
    """Questions ``user`` was invited to answer and has not answered yet, newest first."""
    return (
        QuestionInvitation.objects.filter(
            invitee=user, answered_at__isnull=True, question__visibility=Visibility.VISIBLE
        )
        .select_related("question__product", "question__author")
        .order_by("-created_at", "-id")
    )


# --- routing ---------------------------------------------------------------------------------


def question_routing_candidates(*, question: Question, since: datetime, weekly_cap: int, limit: int) -> list[int]:
    """Ids of up to ``limit`` buyers of the question's product, most recent purchase first, who
    are active, have not opted out, are not the asker, are not yet invited to this question and
    were invited fewer than ``weekly_cap`` times since ``since``."""
    busy = (
        QuestionInvitation.objects.filter(created_at__gte=since)
        .values("invitee_id")
        .annotate(n=Count("id"))
        .filter(n__gte=weekly_cap)
        .values("invitee_id")
    )
    rows = (
        order_line_list_purchased(product_id=question.product_id)
        .filter(order__buyer__is_active=True, order__buyer__question_invites_opt_out=False)
        .exclude(order__buyer_id=question.author_id)
        .exclude(order__buyer_id__in=QuestionInvitation.objects.filter(question=question).values("invitee_id"))
        .exclude(order__buyer_id__in=busy)
        .values("order__buyer_id")
        .annotate(last_bought=Max("order__paid_at"))
        .order_by(F("last_bought").desc(nulls_last=True), "order__buyer_id")
    )
    return [row["order__buyer_id"] for row in rows[:limit]]
