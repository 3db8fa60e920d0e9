"""Questions and answers: ask, answer, vote, accept, edit/delete within a window, moderate, and
route new questions to past buyers."""

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, pgettext

from community.caching import feed_tag
from community.errors import QAErrorCode
from community.models import (
    NOTIFICATION_QUOTE,
    ActivityKind,
    Answer,
    AnswerVote,
    NotificationKind,
    Question,
    QuestionInvitation,
    User,
)
from community.selectors.qa import qa_product_tag, question_routing_candidates
from community.services.activity import activity_record
from community.services.feeds import question_feed_rebuild_soon
from community.services.notifications import notification_create, notifications_create_bulk
from core import moderation
from core.cache import bump_on_commit
from core.errors import ApplicationError
from core.tasks import enqueue_on_commit
from core.throttles import action_limit
from core.visibility import Visibility, visibility_update
from marketplace.selectors.catalogue import product_is_public

if TYPE_CHECKING:
    from marketplace.models import Product

QUESTION_MIN_LENGTH = 10
ANSWER_MIN_LENGTH = 2


def _qa_changed(product_id: int) -> None:
    """The product page shows the product's Q&A summary (its ``product.below_description``
    slot, cached with the page): refresh it when this transaction commits."""
    bump_on_commit(qa_product_tag(product_id))


def _edit_window() -> timedelta:
    return timedelta(minutes=settings.COMMUNITY_EDIT_WINDOW_MINUTES)


def _noun(what: str) -> str:
    """ "question" or "answer" in the active language, for the messages below."""
    return pgettext("content kind", "question") if what == "question" else pgettext("content kind", "answer")


def _clean_text(text: str, *, minimum: int, maximum: int, what: str) -> str:
    text = (text or "").strip()
    if len(text) < minimum:
        raise ApplicationError(
            _("Your %(what)s is too short: write at least %(minimum)s characters.")
            % {"what": _noun(what), "minimum": minimum},
            code=QAErrorCode.TOO_SHORT,
        )
    if len(text) > maximum:
        raise ApplicationError(
            _("Your %(what)s is too long: at most %(maximum)s characters.") % {"what": _noun(what), "maximum": maximum},
            code=QAErrorCode.TOO_LONG,
        )
    return text


def _check_can_edit(*, user: User, content: Question | Answer, what: str) -> None:
    if content.author_id != user.pk:
        raise ApplicationError(
            _("You can only edit your own %(what)s.") % {"what": _noun(what)}, status=403, code=QAErrorCode.NOT_AUTHOR
        )
    if content.visibility == Visibility.REMOVED:
        raise ApplicationError(_("No such %(what)s.") % {"what": _noun(what)}, status=404, code=QAErrorCode.NOT_FOUND)
    if content.visibility != Visibility.VISIBLE:
        raise ApplicationError(
            _("This %(what)s was hidden by a moderator.") % {"what": _noun(what)}, status=403, code=QAErrorCode.HIDDEN
        )
    if timezone.now() - content.created_at > _edit_window():
        minutes = int(_edit_window().total_seconds() // 60)
        raise ApplicationError(
            (
                _("Questions can only be edited in the first %(minutes)s minutes.")
                if what == "question"
                else _("Answers can only be edited in the first %(minutes)s minutes.")
            )
            % {"minutes": minutes},
            status=403,
            code=QAErrorCode.TOO_LATE,
        )


# --- questions -------------------------------------------------------------------------------


@transaction.atomic
def question_ask(*, author: User, product: "Product", text: str) -> Question:
    """Ask a question about a public ``product`` (its shop loaded). After commit Celery invites
    recent buyers and (soon) rebuilds the asker's interests and feed."""
    action_limit("question", user_id=author.pk)
    if not product_is_public(product):
        raise ApplicationError(_("This product is not on sale."), status=404, code=QAErrorCode.NOT_FOUND)
    text = _clean_text(text, minimum=QUESTION_MIN_LENGTH, maximum=1000, what="question")
    visibility = moderation.posting_check(user=author, texts=[text])  # bans, blocked terms
    question = Question.objects.create(product=product, author=author, text=text, visibility=visibility)
    if visibility == Visibility.HELD:
        moderation.held(obj=question, reason="blocked term (hold)")
    activity_record(
        user_id=author.pk,
        kind=ActivityKind.ASKED,
        product_id=product.pk,
        category_id=product.category_id,
        ref=f"question:{question.pk}",
    )
    from community.tasks import question_route  # tasks import services: import here

    enqueue_on_commit(question_route, question.pk)
    question_feed_rebuild_soon(user_id=author.pk)
    _qa_changed(product.pk)
    return question


def _edit_text(*, user: User, content: Question | Answer, text: str, what: str, minimum: int, maximum: int) -> None:
    _check_can_edit(user=user, content=content, what=what)
    content.text = _clean_text(text, minimum=minimum, maximum=maximum, what=what)
    held = moderation.posting_check(user=user, texts=[content.text]) == Visibility.HELD
    content.save(update_fields=["text", "updated_at"])
    if held:
        hold = question_set_visibility if isinstance(content, Question) else answer_set_visibility
        hold(obj=content, status=Visibility.HELD, by=None, reason="blocked term (hold)")
        moderation.held(obj=content, reason="blocked term (hold)")


@transaction.atomic
def question_edit(*, user: User, question: Question, text: str) -> Question:
    """The author edits their question within the edit window."""
    _edit_text(user=user, content=question, text=text, what="question", minimum=QUESTION_MIN_LENGTH, maximum=1000)
    _qa_changed(question.product_id)
    return question


@transaction.atomic
def question_delete(*, user: User, question: Question) -> None:
    """Authors delete their own questions: the question (and with it the answers it received)
    is REMOVED — kept for moderators, shown nowhere."""
    if question.author_id != user.pk:
        raise ApplicationError(_("You can only delete your own question."), status=403, code=QAErrorCode.NOT_AUTHOR)
    question_set_visibility(obj=question, status=Visibility.REMOVED, by=user, reason="deleted by its author")


def _check_visibility(status: str) -> None:
    if status not in Visibility.values:
        raise ApplicationError(_("Unknown visibility."), code=QAErrorCode.INVALID_VISIBILITY)


@transaction.atomic
def question_set_visibility(*, obj: Question, status: str, by: User | None, reason: str = "") -> bool:
    """THE way a question's visibility changes (author delete = REMOVED, moderators, the queue,
    bans). Its answers, invitations and notifications follow it (their reads require a visible
    question). True if it changed."""
    _check_visibility(status)
    changed = visibility_update(obj=obj, status=status, by=by, reason=reason) is not None
    if changed:
        _qa_changed(obj.product_id)
    return changed


# --- answers ---------------------------------------------------------------------------------


@transaction.atomic
def answer_post(*, author: User, question: Question, text: str) -> Answer:
    """Answer a visible question (once per person; edit to change it). Closes the author's
    invitation to this question, tells the asker, and (soon after commit) rebuilds the
    answerer's interests and feed."""
    action_limit("answer", user_id=author.pk)
    if question.visibility != Visibility.VISIBLE:
        raise ApplicationError(_("No such question."), status=404, code=QAErrorCode.NOT_FOUND)
    if question.author_id == author.pk:
        raise ApplicationError(_("You can't answer your own question."), code=QAErrorCode.OWN_QUESTION)
    text = _clean_text(text, minimum=ANSWER_MIN_LENGTH, maximum=4000, what="answer")
    # Lock the question row: if its author deleted (or a moderator hid) it meanwhile, the
    # answer is refused instead of landing on a question shown nowhere.
    if not Question.objects.select_for_update().filter(pk=question.pk, visibility=Visibility.VISIBLE).exists():
        raise ApplicationError(_("No such question."), status=404, code=QAErrorCode.NOT_FOUND)
    visibility = moderation.posting_check(user=author, texts=[text])  # bans, blocked terms
    try:
        with transaction.atomic():
            answer = Answer.objects.create(question=question, author=author, text=text, visibility=visibility)
    except IntegrityError as exc:
        raise ApplicationError(
            _("You already answered this question: edit your answer instead."),
            status=409,
            code=QAErrorCode.ALREADY_ANSWERED,
        ) from exc
    bump_on_commit(feed_tag(author.pk))  # the question leaves the answerer's "for you" page
    if visibility == Visibility.HELD:  # not counted, nobody told: it waits for a moderator
        moderation.held(obj=answer, reason="blocked term (hold)")
        return answer
    Question.objects.filter(pk=question.pk).update(answer_count=F("answer_count") + 1)
    now = timezone.now()
    QuestionInvitation.objects.filter(question=question, invitee=author, answered_at__isnull=True).update(
        answered_at=now
    )
    activity_record(
        user_id=author.pk, kind=ActivityKind.ANSWERED, product_id=question.product_id, ref=f"answer:{answer.pk}"
    )
    notification_create(
        recipient=question.author,
        kind=NotificationKind.QUESTION_ANSWERED,
        title=gettext_noop("%(name)s answered your question"),
        body=NOTIFICATION_QUOTE,
        params={"name": author.public_name, "text": text[:300]},
        subject=("answer", answer.pk),
        url=answer.get_absolute_url(),
        dedupe_key=f"answer:{answer.pk}",
    )
    question_feed_rebuild_soon(user_id=author.pk)
    _qa_changed(question.product_id)
    return answer


@transaction.atomic
def answer_edit(*, user: User, answer: Answer, text: str) -> Answer:
    """The author edits their answer within the edit window."""
    _edit_text(user=user, content=answer, text=text, what="answer", minimum=ANSWER_MIN_LENGTH, maximum=4000)
    _qa_changed(answer.question.product_id)
    return answer


@transaction.atomic
def answer_delete(*, user: User, answer: Answer) -> None:
    """The author deletes their answer: it is REMOVED (kept for moderators, shown nowhere)."""
    if answer.author_id != user.pk:
        raise ApplicationError(_("You can only delete your own answer."), status=403, code=QAErrorCode.NOT_AUTHOR)
    answer_set_visibility(obj=answer, status=Visibility.REMOVED, by=user, reason="deleted by its author")


@transaction.atomic
def answer_set_visibility(*, obj: Answer, status: str, by: User | None, reason: str = "") -> bool:
    """THE way an answer's visibility changes (author delete = REMOVED, moderators, the queue,
    bans), keeping the question's count of visible answers right: the flip is one conditional
    UPDATE on the status read, so a double click or two moderators move the count once."""
    _check_visibility(status)
    before = visibility_update(obj=obj, status=status, by=by, reason=reason)
    if before is None:
        return False
    delta = 1 if status == Visibility.VISIBLE else -1 if before == Visibility.VISIBLE else 0
    if delta:
        counted = Question.objects.filter(pk=obj.question_id)
        if delta < 0:
            counted = counted.filter(answer_count__gt=0)
        counted.update(answer_count=F("answer_count") + delta)
    _qa_changed(obj.question.product_id)
    return True


@transaction.atomic
def answer_accept(*, user: User, answer: Answer) -> Question:
    """The asker marks the answer that helped (they may change their mind later); not while
    banned (403 ``banned``)."""
    moderation.posting_allowed(user)
    question = answer.question
    if question.author_id != user.pk:
        raise ApplicationError(
            _("Only the person who asked can mark the answer that helped."), status=403, code=QAErrorCode.NOT_ASKER
        )
    if not _answer_lock(answer):
        raise ApplicationError(_("No such answer."), status=404, code=QAErrorCode.NOT_FOUND)
    if question.accepted_answer_id != answer.pk:
        question.accepted_answer = answer
        question.save(update_fields=["accepted_answer", "updated_at"])
        notification_create(
            recipient=answer.author,
            kind=NotificationKind.ANSWER_ACCEPTED,
            title=gettext_noop("%(name)s marked your answer as the one that helped"),
            params={"name": user.public_name},
            subject=("answer", answer.pk),
            url=answer.get_absolute_url(),
            dedupe_key=f"accepted:{answer.pk}",
        )
    return question


def _answer_lock(answer: Answer) -> bool:
    """Lock the answer's row before a write that depends on it being visible (a vote,
    "accepted"): True if it still is. Its author deleting it (or a moderator hiding it) meanwhile
    either commits first (then this is False: 404) or waits for this transaction."""
    return Answer.objects.select_for_update().filter(pk=answer.pk, visibility=Visibility.VISIBLE).exists()


def _count_vote(answer_id: int, value: int, delta: int) -> None:
    field = "helpful_count" if value > 0 else "not_helpful_count"
    rows = Answer.objects.filter(pk=answer_id)
    if delta < 0:
        rows = rows.filter(**{f"{field}__gt": 0})
    rows.update(**{field: F(field) + delta})


@transaction.atomic
def answer_vote(*, user: User, answer: Answer, value: int) -> AnswerVote:
    """Vote an answer helpful (+1) or not (-1); voting again changes the vote. One vote per
    person, and the counts move once however many requests race: the insert is guarded by the
    unique constraint, a change happens under the vote row's lock."""
    if value not in (1, -1):
        raise ApplicationError(_("A vote is +1 (helpful) or -1 (not helpful)."), code=QAErrorCode.INVALID_VOTE)
    moderation.posting_allowed(user)
    if answer.author_id == user.pk:
        raise ApplicationError(_("You can't vote on your own answer."), code=QAErrorCode.OWN_ANSWER)
    if not _answer_lock(answer):
        raise ApplicationError(_("No such answer."), status=404, code=QAErrorCode.NOT_FOUND)
    try:
        with transaction.atomic():
            vote = AnswerVote.objects.create(answer=answer, user=user, value=value)
    except IntegrityError:
        vote = AnswerVote.objects.select_for_update().get(answer=answer, user=user)
        if vote.value != value:
            _count_vote(answer.pk, vote.value, -1)
            _count_vote(answer.pk, value, +1)
            vote.value = value
            vote.save(update_fields=["value", "updated_at"])
            _qa_changed(answer.question.product_id)
        return vote
    _count_vote(answer.pk, value, +1)
    _qa_changed(answer.question.product_id)
    activity_record(
        user_id=user.pk, kind=ActivityKind.VOTED, product_id=answer.question.product_id, ref=f"vote:{answer.pk}"
    )
    return vote


@transaction.atomic
def answer_unvote(*, user: User, answer: Answer) -> bool:
    """Take back a vote; not while banned (403 ``banned``: a ban freezes a person's votes)."""
    moderation.posting_allowed(user)
    vote = AnswerVote.objects.select_for_update().filter(answer=answer, user=user).first()
    if vote is None:
        return False
    vote.delete()
    _count_vote(answer.pk, vote.value, -1)
    _qa_changed(answer.question.product_id)
    return True


# --- routing ---------------------------------------------------------------------------------


@transaction.atomic
def question_route_to_buyers(*, question_id: int, now: datetime | None = None) -> list[int]:
    """Invite up to ``settings.QUESTION_ROUTING_INVITES`` recent buyers of the question's product
    to answer it, and put the invitation in their inbox. Never the asker, nobody who opted out,
    nobody invited ``QUESTION_ROUTING_WEEKLY_CAP`` times in the last 7 days, nobody twice for one
    question. Idempotent: a re-run only tops up to N. Returns the ids of the newly invited."""
    now = now or timezone.now()
    # The question's row lock makes concurrent runs for one question take turns, so N holds.
    question = (
        Question.objects.select_for_update(of=("self",))
        .select_related("product")
        .filter(pk=question_id, visibility=Visibility.VISIBLE)
        .first()
    )
    if question is None:
        return []
    room = settings.QUESTION_ROUTING_INVITES - question.invitations.count()
    if room <= 0:
        return []
    invitee_ids = question_routing_candidates(
        question=question,
        since=now - timedelta(days=7),
        weekly_cap=settings.QUESTION_ROUTING_WEEKLY_CAP,
        limit=room,
    )
    QuestionInvitation.objects.bulk_create(
        [QuestionInvitation(question=question, invitee_id=user_id) for user_id in invitee_ids], ignore_conflicts=True
    )
    notifications_create_bulk(
        recipient_ids=invitee_ids,
        kind=NotificationKind.QUESTION_INVITE,
        title=gettext_noop("You bought %(title)s: can you answer a question about it?"),
        body=NOTIFICATION_QUOTE,
        params={"title": question.product.title, "text": question.text[:300]},
        subject=("question", question.pk),
        url=question.get_absolute_url(),
        dedupe_key=f"invite:{question.pk}",
    )
    return invitee_ids
