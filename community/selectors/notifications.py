"""Inbox reads.

**What the inbox shows.** A notification about content (``subject_type`` / ``subject_id``: a
question, an answer, a person, a story, a live room) is shown only while that content is public,
by the rule of the app that owns it: each kind registers a queryset of its public rows with
:func:`notification_subject_register` (community in ``community/slots.py``'s ``register()``;
headline and livestream in their ``ready()``). So when a moderator hides a question, the
invitations to answer it leave the inbox *and* the badge at once, and come back if it is
restored; nothing about it is deleted. Notifications with no subject (sales) or of a kind nobody
registered are always shown.

**The badge** (:func:`notification_unread_count`) counts exactly what the inbox lists as unread:
one COUNT over the partial index of unread rows (a person has a handful). On a page it comes with
the signed-in user (:func:`user_get_signed_in`), a versioned cache entry rebuilt after any change
that could alter it — a write to the person or to their inbox, any visibility change, any save or
delete of content (``community/caching.py``) — so every server process agrees with the inbox on
the next request, and a request that changed nothing reads no row.
"""

import hashlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from django.db import connections
from django.db.models import BooleanField, Case, Count, OuterRef, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.db.models.lookups import IsNull
from django.shortcuts import get_object_or_404

from community.caching import CONTENT_TAG, token_digest, token_tag, user_tag
from community.models import Notification, User
from community.models.people import SESSION_AUTH_HASH_ATTRIBUTE
from core.cache import cached, tag_versions
from core.queries import CompiledQuery, prepared_sql
from core.visibility import VISIBILITY_TAG

if TYPE_CHECKING:
    from rest_framework.authtoken.models import Token

#: ``subject_type`` → a function returning the queryset of that kind's public rows.
_SUBJECTS: dict[str, Callable[[], QuerySet]] = {}


def notification_subject_register(subject_type: str, public: Callable[[], QuerySet]) -> None:
    """Declare that notifications with ``subject_type`` are shown only while their
    ``subject_id`` is in ``public()`` (the owning app's visibility rule; called from
    ``AppConfig.ready()``). ``public()`` must not depend on the time of the call (the signed-in
    user's query compiles it once: :func:`user_get_with_unread_count`; a rule that does is
    detected and built per load instead)."""
    _SUBJECTS[subject_type] = public
    _USER_SQL.clear()


def _shown_q() -> Case:
    """Notifications whose subject (if any) is still public: a condition on each notification
    row, checking that row's subject only, by id, against its own kind's public rows.

    ``CASE subject_type WHEN 'question' THEN (SELECT id FROM <public questions> WHERE id =
    subject_id LIMIT 1) IS NOT NULL WHEN ... ELSE TRUE END``. A scalar subquery correlated on
    the notification's ``subject_id`` is run per row (a few primary-key probes for the handful
    of unread rows; PostgreSQL never turns a scalar subquery into a hashed scan of *all* public
    rows, which it may do with ``EXISTS`` when its estimates are off), only for rows of its
    kind (CASE), and is planned once (an ``EXISTS`` in an OR is planned twice: per row and
    hashed). The same expression serves the inbox list and the badge."""
    return Case(
        *(
            When(
                subject_type=subject_type,
                then=IsNull(Subquery(public().filter(pk=OuterRef("subject_id")).order_by().values("pk")[:1]), False),
            )
            for subject_type, public in _SUBJECTS.items()
        ),
        default=Value(True),
        output_field=BooleanField(),
    )


def notification_list(*, user: User) -> QuerySet[Notification]:
    """``user``'s inbox, newest first (served by the (recipient, -created_at) index), without
    notifications about content that is no longer public."""
    return Notification.objects.filter(_shown_q(), recipient=user).order_by("-created_at", "-id")


def notification_get_for_user(*, user: User, notification_id: int) -> Notification:
    """One of ``user``'s notifications, shown or not (404 for someone else's)."""
    return get_object_or_404(Notification, pk=notification_id, recipient=user)


def notification_is_shown(notification: Notification) -> bool:
    """Whether the inbox still shows ``notification`` (its subject, if any, is public)."""
    public = _SUBJECTS.get(notification.subject_type)
    return public is None or public().filter(pk=notification.subject_id).exists()


def notification_unread_count(*, user: User, fresh: bool = False) -> int:
    """How many unread notifications the inbox shows ``user``: one indexed COUNT, uncached.
    A user loaded through :func:`user_annotate_unread_count` (the signed-in user of a request)
    carries it already: then no query — unless ``fresh`` (counted after this request changed
    the inbox)."""
    annotated = None if fresh else getattr(user, UNREAD_ANNOTATION, None)
    if annotated is not None:
        return annotated
    return Notification.objects.filter(_shown_q(), recipient=user, read_at__isnull=True).count()


#: The attribute :func:`user_annotate_unread_count` sets.
UNREAD_ANNOTATION = "unread_notification_count_now"


def user_annotate_unread_count(queryset: QuerySet[User]) -> QuerySet[User]:
    """Users with their badge count (:func:`notification_unread_count`, the same rule) as a
    subquery, so the signed-in user and the header's badge are one read (``community.backends``).
    Counted by the database at load time, like the uncached badge."""
    unread = (
        Notification.objects.filter(_shown_q(), recipient=OuterRef("pk"), read_at__isnull=True)
        .order_by()
        .values("recipient")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return queryset.annotate(**{UNREAD_ANNOTATION: Coalesce(Subquery(unread), 0)})


#: The SQL of :func:`user_get_with_unread_count` by database alias: ``(sql, params, index of the
#: user id in params)``, compiled once per process (cleared when a subject kind registers).
_USER_SQL: dict[str, tuple[str, list, int] | None] = {}
#: Stands for the user id while compiling (never a real id).
_SENTINEL_IDS = (-7_300_001, -7_300_002)


def _user_sql(alias: str) -> tuple[str, list, int] | None:
    """Compile the signed-in user's query with two sentinel ids; None when the two compilations
    differ in more than the id (a rule that reads the clock at build time cannot be reused)."""
    compiled = []
    for sentinel in _SENTINEL_IDS:
        queryset = user_annotate_unread_count(User._default_manager.using(alias).all()).filter(pk=sentinel)
        sql, params = queryset.query.sql_with_params()
        compiled.append((sql, list(params), sentinel))
    (sql_a, params_a, id_a), (sql_b, params_b, id_b) = compiled
    positions = [i for i, value in enumerate(params_a) if value == id_a]
    if sql_a != sql_b or len(positions) != 1 or len(params_a) != len(params_b):
        return None
    [position] = positions
    if params_b[position] != id_b or [v for i, v in enumerate(params_a) if i != position] != [
        v for i, v in enumerate(params_b) if i != position
    ]:
        return None
    return sql_a, params_a, position


def user_get_with_unread_count(*, user_id, using: str = "default") -> User | None:
    """The user ``user_id`` with the badge count annotated as :func:`user_annotate_unread_count`
    does (the same queryset, the same rule), or None. One query, as that queryset's, but its SQL
    is compiled once per process: building and compiling the badge's subqueries (one per subject
    kind) cost more Python than the rest of a cached signed-in page; on PostgreSQL it is also
    prepared once per connection (``core.queries.prepared_sql``)."""
    if using not in _USER_SQL:
        _USER_SQL[using] = _user_sql(using)
    compiled = _USER_SQL[using]
    if compiled is None:
        return user_annotate_unread_count(User._default_manager.using(using).all()).filter(pk=user_id).first()
    sql, params, position = compiled
    # Prepared once per connection: PostgreSQL spent ~5 ms planning it for 0.4 ms of execution
    # (a subquery per subject kind), on every token's first use and every signed-in cache miss.
    name = f"jishi_user_badge_{hashlib.sha256(sql.encode()).hexdigest()[:12]}"
    execute = prepared_sql(connections[using], name=name, sql=sql, params=params, places={"user_id": [position]})
    if execute is not None:
        return next(iter(User._default_manager.using(using).raw(execute, [user_id])), None)
    params = [*params]
    params[position] = user_id
    return next(iter(User._default_manager.using(using).raw(sql, params)), None)


def _cacheable(user: User | None) -> User | None:
    """``user`` as it may be cached: its session auth hash computed, its password hash left out
    (a deferred field: read from the database if anything asks for it, e.g. a password check;
    not written by a ``save()``), so no password hash is ever stored in the cache."""
    if user is not None:
        user.__dict__[SESSION_AUTH_HASH_ATTRIBUTE] = user.get_session_auth_hash()
        user.__dict__.pop("password", None)
    return user


def user_get_signed_in(*, user_id: int) -> User | None:
    """The signed-in user of a request, with the badge count annotated: the versioned cache entry
    of :func:`user_get_with_unread_count` (module docstring; tags in ``community/caching.py``).
    A hit is one cache round trip and no query; the entry lives at most ``core.cache.MAX_TTL``
    and holds no password hash (:func:`_cacheable`)."""

    def build():
        return _cacheable(user_get_with_unread_count(user_id=user_id)), None

    ((key, tags),) = user_signed_in_entries(user_id).items()
    return cached(key, tags=tags, build=build)


def user_signed_in_entries(user_id) -> dict[str, tuple[str, ...]]:
    """The cache entry :func:`user_get_signed_in` reads for ``user_id`` (``{key: tags}``), which a
    cached page shell reads ahead (``core.pages.install``)."""
    return {f"com:signed-in:{user_id}": (user_tag(user_id), VISIBILITY_TAG, CONTENT_TAG)}


def user_token_entries(*, key: str) -> dict[str, tuple[str, ...]]:
    """The cache entry :func:`user_get_by_token` reads for API token ``key`` (``{key: tags}``),
    which an API view reads ahead with its own (``core.api.ReadAheadMixin``)."""
    return {f"com:token:{token_digest(key)}": (token_tag(key),)}


def _token_by_key(*, key: str) -> QuerySet:
    from rest_framework.authtoken.models import Token

    return Token.objects.filter(key=key)[:1]


#: The token row by key, compiled once per process (every first use of a token reads it: the
#: ORM's build of it cost more than the read).
_TOKEN = CompiledQuery(_token_by_key, key=("\x01token-a", "\x01token-b"))


def user_get_by_token(*, key: str) -> tuple[User, "Token"] | None:
    """The person whose API token ``key`` is, with the badge (as :func:`user_get_signed_in`), and
    the token; None for an unknown key. A versioned entry per token: tag ``token_tag(key)``
    (bumped when the token is deleted) and, found while building, the person's own tags; a hit is
    one cache round trip and no query. Unknown keys are not stored."""

    def build():
        found = _TOKEN.run(key=key)
        if not found:
            return None, 0
        token = found[0]
        extra = tag_versions((user_tag(token.user_id), VISIBILITY_TAG, CONTENT_TAG))
        user = _cacheable(user_get_with_unread_count(user_id=token.user_id))
        if user is None:
            return None, 0
        return (user, token), None, extra

    ((entry, tags),) = user_token_entries(key=key).items()
    return cached(entry, tags=tags, build=build)
