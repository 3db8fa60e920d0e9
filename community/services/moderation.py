"""Moderation writes: the audit trail, hide/restore/hold through the registry, reports grouped
into cases (the queue) with automatic holds, blocked terms (RE2), and bans.

Every moderation action goes through :func:`moderate` (content) or writes its own audit entry
(terms, bans, dismissals), so the audit trail (``AuditEntry``, append-only) records them all.
The content's own service (``kind.set_visibility``, registered in community/moderation.py) does
the work, so counters, ratings, caches and live rooms follow.
"""

import logging
from datetime import timedelta

import re2
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from community import moderation as registry
from community.errors import ModerationErrorCode
from community.models import (
    AuditAction,
    AuditEntry,
    Ban,
    BanItem,
    BlockedTerm,
    Case,
    CaseResolution,
    CaseStatus,
    NotificationKind,
    Report,
    ReportReason,
    TermAction,
    TermMatch,
    User,
)
from community.services.notifications import notification_create
from core.errors import ApplicationError
from core.moderation import PostingErrorCode, can_moderate, posting_allowed
from core.visibility import Visibility

logger = logging.getLogger(__name__)

_ACTION_FOR = {
    Visibility.HIDDEN: AuditAction.HIDE,
    Visibility.VISIBLE: AuditAction.RESTORE,
    Visibility.HELD: AuditAction.HOLD,
}


# --- the audit trail ---------------------------------------------------------------------------


def audit_record(
    *,
    actor: User | None,
    action: str,
    kind: str,
    object_id: int | None = None,
    object_repr: str = "",
    before: str = "",
    after: str = "",
    reason: str = "",
) -> AuditEntry:
    """Append one entry to the audit trail (the only writer; rows are never changed)."""
    actor = actor if actor is not None and actor.is_authenticated else None
    return AuditEntry.objects.create(
        actor=actor,
        actor_name=actor.get_username() if actor else "",
        action=action,
        kind=kind,
        object_id=object_id,
        object_repr=str(object_repr)[:200],
        before=before or "",
        after=after or "",
        reason=(reason or "")[:500],
    )


def audit_from_hook(*, actor, action: str, obj=None, **entry) -> AuditEntry:
    """core.moderation.audit's implementation: ``obj`` (content of a registered kind) names the
    kind, id and preview."""
    if obj is not None:
        kind = registry.kind_of(obj)
        entry.update(
            kind=kind.name if kind else obj._meta.label_lower,
            object_id=obj.pk,
            object_repr=kind.preview(obj) if kind else str(obj),
        )
    return audit_record(actor=actor, action=action, **entry)


def held_from_hook(*, obj, reason: str) -> None:
    """core.moderation.held's implementation: the item joins the queue."""
    case_hold_open(obj=obj, reason=reason)


def _require_moderator(user) -> None:
    if not can_moderate(user):
        raise ApplicationError(_("Only moderators can do this."), status=403, code=ModerationErrorCode.NOT_MODERATOR)


# --- content -----------------------------------------------------------------------------------


@transaction.atomic
def moderate(*, obj, status: str, by: User | None, reason: str = "", action: str | None = None) -> bool:
    """Give ``obj`` (content of a registered kind) visibility ``status`` through its own service
    and audit it. ``by`` None is the system (automatic holds, ban expiry). True if it changed."""
    kind = registry.kind_of(obj)
    if kind is None:
        raise TypeError(f"{type(obj).__name__} is not a registered content kind")
    before = obj.visibility
    changed = kind.set_visibility(obj=obj, status=status, by=by, reason=reason)
    if changed:
        audit_record(
            actor=by,
            action=action or _ACTION_FOR.get(status, AuditAction.HIDE),
            kind=kind.name,
            object_id=obj.pk,
            object_repr=kind.preview(obj)[:200],
            before=before,
            after=status,
            reason=reason,
        )
    return changed


def content_get(*, kind_name: str, object_id: int):
    """The item of a registered kind (any visibility), or None."""
    kind = registry.kind_named(kind_name)
    if kind is None:
        return None
    return kind.model.objects.filter(pk=object_id).first()


# --- reports and cases -------------------------------------------------------------------------


def _open_case(*, kind, obj) -> Case:
    """The item's open case, created if there is none (the partial unique index makes a
    concurrent second creation fail; we then read the winner's)."""
    case = Case.objects.select_for_update().filter(kind=kind.name, object_id=obj.pk, status=CaseStatus.OPEN).first()
    if case is not None:
        return case
    try:
        with transaction.atomic():
            return Case.objects.create(
                kind=kind.name, object_id=obj.pk, author_id=kind.author_id(obj), preview=kind.preview(obj)[:2000]
            )
    except IntegrityError:
        return Case.objects.select_for_update().get(kind=kind.name, object_id=obj.pk, status=CaseStatus.OPEN)


@transaction.atomic
def report_create(*, reporter: User, kind_name: str, object_id: int, reason: str, text: str = "") -> Report:
    """``reporter`` reports an item they can see. One open report per person per item (409
    ``already_reported``); reports on one item group into its open case. When the case reaches
    ``MODERATION_REPORT_THRESHOLD`` reports, the item is held for review (audited, by the system)."""
    kind = registry.kind_named(kind_name)
    if kind is None:
        raise ApplicationError(_("That cannot be reported."), code=ModerationErrorCode.INVALID_KIND)
    if reason not in ReportReason.values:
        raise ApplicationError(_("Choose a reason for the report."), code=ModerationErrorCode.INVALID_REASON)
    text = (text or "").strip()
    if reason == ReportReason.OTHER and not text:
        raise ApplicationError(_("Tell us what is wrong."), code=ModerationErrorCode.INVALID_REASON)
    obj = kind.public().filter(pk=object_id).first()
    if obj is None:
        raise ApplicationError(_("There is nothing to report there."), status=404, code=ModerationErrorCode.NOT_FOUND)
    if kind.author_id(obj) == reporter.pk:
        raise ApplicationError(_("You cannot report your own content."), code=ModerationErrorCode.OWN_CONTENT)
    case = _open_case(kind=kind, obj=obj)
    try:
        with transaction.atomic():
            report = Report.objects.create(case=case, reporter=reporter, reason=reason, text=text[:500])
    except IntegrityError as exc:
        raise ApplicationError(
            _("You already reported this; a moderator will look at it."),
            status=409,
            code=ModerationErrorCode.ALREADY_REPORTED,
        ) from exc
    Case.objects.filter(pk=case.pk).update(report_count=F("report_count") + 1)
    case.refresh_from_db(fields=["report_count", "held"])
    if case.report_count >= settings.MODERATION_REPORT_THRESHOLD and not case.held:
        Case.objects.filter(pk=case.pk).update(held=True)
        moderate(
            obj=obj,
            status=Visibility.HELD,
            by=None,
            reason=f"held automatically after {case.report_count} reports",
            action=AuditAction.HOLD,
        )
    return report


@transaction.atomic
def case_hold_open(*, obj, reason: str) -> Case:
    """Put an item that was held when posted (a blocked term set to hold, a new account) in the
    queue: its open case, marked held."""
    kind = registry.kind_of(obj)
    case = _open_case(kind=kind, obj=obj)
    Case.objects.filter(pk=case.pk).update(held=True)
    audit_record(
        actor=None,
        action=AuditAction.HOLD,
        kind=kind.name,
        object_id=obj.pk,
        object_repr=kind.preview(obj)[:200],
        before="",
        after=Visibility.HELD,
        reason=reason,
    )
    return case


def _close(case: Case, *, by: User, resolution: str) -> bool:
    return bool(
        Case.objects.filter(pk=case.pk, status=CaseStatus.OPEN).update(
            status=CaseStatus.CLOSED, resolution=resolution, resolved_by=by, resolved_at=timezone.now()
        )
    )


@transaction.atomic
def case_hide(*, case: Case, by: User, reason: str = "", warn: bool = False) -> bool:
    """Hide the reported item and close the case (``warn``: also tell the author why)."""
    _require_moderator(by)
    obj = content_get(kind_name=case.kind, object_id=case.object_id)
    if not _close(case, by=by, resolution=CaseResolution.WARNED if warn else CaseResolution.HIDDEN):
        return False
    reason = reason or _reasons_of(case)
    if obj is not None:
        moderate(obj=obj, status=Visibility.HIDDEN, by=by, reason=reason)
        if warn and case.author_id:
            audit_record(actor=by, action=AuditAction.WARN, kind=case.kind, object_id=case.object_id, reason=reason)
            notification_create(
                recipient=User.objects.get(pk=case.author_id),
                kind=NotificationKind.OTHER,
                title=gettext_noop("A moderator hid something you posted: %(reason)s"),
                body=gettext_noop("Please keep to the community rules; repeated breaches lead to a ban."),
                params={"reason": reason[:200]},
                dedupe_key=f"warn:{case.pk}",
            )
    return True


@transaction.atomic
def case_dismiss(*, case: Case, by: User, reason: str = "") -> bool:
    """Close the case without action; an item it held comes back."""
    _require_moderator(by)
    if not _close(case, by=by, resolution=CaseResolution.DISMISSED):
        return False
    obj = content_get(kind_name=case.kind, object_id=case.object_id)
    audit_record(
        actor=by,
        action=AuditAction.DISMISS,
        kind=case.kind,
        object_id=case.object_id,
        object_repr=case.preview[:200],
        before=obj.visibility if obj is not None else "",
        after=obj.visibility if obj is not None else "",
        reason=reason,
    )
    if obj is not None and obj.visibility == Visibility.HELD:
        moderate(obj=obj, status=Visibility.VISIBLE, by=by, reason=reason or "reports dismissed")
    return True


@transaction.atomic
def case_ban_author(*, case: Case, by: User, reason: str = "", days: int | None = None) -> Ban | None:
    """Hide the item, close the case and ban its author (``days`` None: permanently)."""
    _require_moderator(by)
    if not case_hide(case=case, by=by, reason=reason):
        return None
    Case.objects.filter(pk=case.pk).update(resolution=CaseResolution.BANNED)
    if not case.author_id:
        return None
    return ban_create(user=User.objects.get(pk=case.author_id), by=by, reason=reason or _reasons_of(case), days=days)


def _reasons_of(case: Case) -> str:
    reasons = sorted(set(Report.objects.filter(case=case).values_list("reason", flat=True)))
    return ("reported: " + ", ".join(reasons)) if reasons else "moderator decision"


# --- blocked terms -----------------------------------------------------------------------------

#: Compiled RE2 programs by (pattern, match): compiling is the costly part, the list is one query.
_compiled: dict[tuple[str, str], object] = {}


def _has_cjk(text: str) -> bool:
    return any("\u3000" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af" or "\uf900" <= ch <= "\ufaff" for ch in text)


def term_regex(*, pattern: str, match: str) -> str:
    """The RE2 expression for a term: a regex as written; a substring quoted; a whole word quoted
    between non-letters (Chinese has no spaces between words, so a Chinese term matches anywhere)."""
    if match == TermMatch.REGEX:
        return pattern
    quoted = re2.escape(pattern)
    if match == TermMatch.SUBSTRING or _has_cjk(pattern):
        return quoted
    return rf"(?:^|[^\pL\pN_]){quoted}(?:$|[^\pL\pN_])"


def term_compile(*, pattern: str, match: str):
    options = re2.Options()
    options.case_sensitive = False
    options.max_mem = 8 << 20  # a hostile pattern fails to compile rather than eat memory
    try:
        return re2.compile(term_regex(pattern=pattern, match=match), options)
    except re2.error as exc:
        raise ApplicationError(
            _("That pattern is not a valid RE2 regular expression: %(error)s") % {"error": str(exc)[:200]},
            code=ModerationErrorCode.INVALID_TERM,
        ) from exc


def _terms_changed() -> None:
    """Terms are read from the database on every check (one small query), so a change applies
    at once on every process; only the compiled programs are kept, by their text."""


def _active_terms() -> list[tuple[BlockedTerm, object]]:
    compiled = []
    for term in BlockedTerm.objects.filter(active=True).order_by("id"):
        key = (term.pattern, term.match)
        if key not in _compiled:
            try:
                _compiled[key] = term_compile(pattern=term.pattern, match=term.match)
            except ApplicationError:
                logger.warning("Blocked term %s does not compile; skipped", term.pk)
                continue
        compiled.append((term, _compiled[key]))
    return compiled


def blocked_term_find(texts) -> tuple[BlockedTerm, str] | None:
    """The first active term found in ``texts``: rejecting terms first, then holding ones."""
    found = None
    for term, regex in _active_terms():
        for text in texts:
            if text and regex.search(text):
                if term.action == TermAction.REJECT:
                    return term, text
                found = found or (term, text)
    return found


def _post_count(user: User) -> int:
    return sum(kind.by_author(user.pk).count() for kind in registry.kinds() if kind.name not in ("user", "shop"))


def screen(*, texts, user=None) -> str:
    """core.moderation.screen's implementation (see there)."""
    hit = blocked_term_find(texts)
    if hit is not None:
        term, _text = hit
        if term.action == TermAction.REJECT:
            raise ApplicationError(
                _("Your text contains a blocked word (“%(term)s”). Please change it.") % {"term": term.pattern[:50]},
                code=PostingErrorCode.BLOCKED_TERM,
                extra={"term": term.pattern[:50]},
            )
        return Visibility.HELD
    first_posts = settings.MODERATION_HOLD_FIRST_POSTS
    if first_posts and user is not None and user.is_authenticated:
        new = timezone.now() - user.date_joined < timedelta(days=settings.MODERATION_NEW_ACCOUNT_DAYS)
        if new and _post_count(user) < first_posts:
            return Visibility.HELD
    return Visibility.VISIBLE


@transaction.atomic
def term_create(*, pattern: str, match: str, action: str, by: User) -> BlockedTerm:
    _require_moderator(by)
    pattern = (pattern or "").strip()
    if not pattern:
        raise ApplicationError(_("Enter a word or pattern."), code=ModerationErrorCode.INVALID_TERM)
    term_compile(pattern=pattern, match=match)
    try:
        with transaction.atomic():
            term = BlockedTerm.objects.create(pattern=pattern, match=match, action=action, created_by=by)
    except IntegrityError as exc:
        raise ApplicationError(
            _("That term is already blocked."), status=409, code=ModerationErrorCode.INVALID_TERM
        ) from exc
    audit_record(
        actor=by, action=AuditAction.TERM_ADD, kind="term", object_id=term.pk, object_repr=pattern, after=action
    )
    _terms_changed()
    return term


@transaction.atomic
def term_update(*, term: BlockedTerm, by: User, **changes) -> BlockedTerm:
    _require_moderator(by)
    before = f"{term.match}/{term.action}/{'on' if term.active else 'off'}"
    for field in ("pattern", "match", "action", "active"):
        if field in changes and changes[field] is not None:
            setattr(term, field, changes[field])
    term_compile(pattern=term.pattern, match=term.match)
    term.save()
    after = f"{term.match}/{term.action}/{'on' if term.active else 'off'}"
    audit_record(
        actor=by,
        action=AuditAction.TERM_CHANGE,
        kind="term",
        object_id=term.pk,
        object_repr=term.pattern,
        before=before[:10],
        after=after[:10],
    )
    _terms_changed()
    return term


@transaction.atomic
def term_delete(*, term: BlockedTerm, by: User) -> None:
    _require_moderator(by)
    audit_record(actor=by, action=AuditAction.TERM_DELETE, kind="term", object_id=term.pk, object_repr=term.pattern)
    term.delete()
    _terms_changed()


# --- bans --------------------------------------------------------------------------------------

#: What a ban hides: the banned person's shop and products (they cannot sell) and live rooms
#: (a live one ends, viewers see the room's end message).
BAN_HIDES = ("shop", "product", "room")


def ban_active(user_id: int) -> Ban | None:
    now = timezone.now()
    return (
        Ban.objects.filter(user_id=user_id, lifted_at__isnull=True)
        .exclude(expires_at__lte=now)
        .order_by("-created_at")
        .first()
    )


def posting_refused(user) -> str | None:
    """core.moderation.posting_refused's implementation: a ban's message, or None."""
    ban = ban_active(user.pk)
    if ban is None:
        return None
    if ban.expires_at:
        return _("Your account is suspended until %(date)s; you cannot post, chat, vote, review or sell.") % {
            "date": timezone.localtime(ban.expires_at).strftime("%Y-%m-%d %H:%M")
        }
    return _("Your account is suspended; you cannot post, chat, vote, review or sell.")


def refuse_if_banned(user) -> None:
    """Raise 403 ``banned`` if ``user`` is banned (core.moderation.posting_allowed)."""
    posting_allowed(user)


@transaction.atomic
def ban_create(*, user: User, by: User, reason: str = "", days: int | None = None) -> Ban:
    """Ban ``user`` for ``days`` (None: permanently): they can still sign in, read and pay their
    orders. Their shop, products and live rooms are hidden (a live room ends); exactly what this
    hid is recorded so :func:`ban_lift` restores it and nothing else."""
    _require_moderator(by)
    if user.pk == by.pk:
        raise ApplicationError(_("You cannot ban yourself."), code=ModerationErrorCode.NOT_MODERATOR)
    User.objects.select_for_update().filter(pk=user.pk).first()  # one ban at a time per person
    if Ban.objects.filter(user=user, lifted_at__isnull=True).exists():
        raise ApplicationError(_("This person is already banned."), status=409, code=ModerationErrorCode.ALREADY_BANNED)
    expires_at = timezone.now() + timedelta(days=days) if days else None
    ban = Ban.objects.create(user=user, by=by, reason=(reason or "")[:500], expires_at=expires_at)
    for name in BAN_HIDES:
        kind = registry.kind_named(name)
        if kind is None:
            continue
        for obj in kind.by_author(user.pk).filter(visibility=Visibility.VISIBLE):
            if kind.set_visibility(obj=obj, status=Visibility.HIDDEN, by=by, reason=f"ban: {reason}"[:500]):
                BanItem.objects.create(ban=ban, kind=name, object_id=obj.pk, before=Visibility.VISIBLE)
    audit_record(
        actor=by,
        action=AuditAction.BAN,
        kind="user",
        object_id=user.pk,
        object_repr=user.get_username(),
        before="",
        after=f"{days}d" if days else "permanent",
        reason=reason,
    )
    return ban


@transaction.atomic
def ban_lift(*, ban: Ban, by: User | None, reason: str = "") -> bool:
    """Lift a ban (a moderator, or the expiry job with ``by`` None): restore exactly what it hid
    that is still hidden by it. True if this call lifted it."""
    if by is not None:
        _require_moderator(by)
    lifted = Ban.objects.filter(pk=ban.pk, lifted_at__isnull=True).update(lifted_at=timezone.now(), lifted_by=by)
    if not lifted:
        return False
    for item in BanItem.objects.filter(ban=ban):
        obj = content_get(kind_name=item.kind, object_id=item.object_id)
        if obj is not None and obj.visibility == Visibility.HIDDEN:
            registry.kind_named(item.kind).set_visibility(obj=obj, status=item.before, by=by, reason="ban lifted")
    audit_record(
        actor=by,
        action=AuditAction.UNBAN,
        kind="user",
        object_id=ban.user_id,
        object_repr=ban.user.get_username(),
        reason=reason or ("expired" if by is None else ""),
    )
    return True


def bans_expire(*, now=None) -> int:
    """Lift every ban whose time is up (the beat job); returns how many."""
    now = now or timezone.now()
    count = 0
    for ban in Ban.objects.filter(lifted_at__isnull=True, expires_at__lte=now):
        count += ban_lift(ban=ban, by=None, reason="expired")
    return count
