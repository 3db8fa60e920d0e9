"""The moderation registry: every kind of user content that can be reported, held, hidden and
restored, declared by the app that owns it.

Community owns reports, the queue, holds and bans, but it must not import the apps above it
(headline, livestream). So each app **registers** its kinds in its ``AppConfig.ready()``::

    moderation.register(
        name="story",
        model=Story,
        set_visibility=story_set_visibility,   # <entity>_set_visibility(*, obj, status, by, reason="") -> bool
        public=story_list_public,              # the rows everyone may see (the app's one visibility rule)
        author_field="author",                 # path to the author's user (filters by author: bans)
        preview=lambda story: story.title,     # a line of text for the queue
        label=_("story"),
    )

Community registers its own kinds (question, answer, user) and the marketplace's (shop,
product, review: the base app cannot import community) in ``community/apps.py``.

``notification_subject=True`` also tells the inbox to show notifications about an item only while
it is in ``public()`` (``community.selectors.notifications``).

Everything moderation does to content goes through ``kind.set_visibility``; so a hidden item
leaves every page, feed, search, API list, notification and live room the owning app serves,
and comes back intact on restore. The table-driven test in
``tests/community/test_moderation_registry.py`` walks every registered kind, so a new kind
without coverage fails.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Model, QuerySet
from django.db.models.signals import post_delete, post_save

from community.caching import CONTENT_TAG
from core.cache import bump_on_commit


@dataclass(frozen=True)
class ContentKind:
    name: str
    model: type[Model]
    set_visibility: Callable[..., bool]
    public: Callable[[], QuerySet]
    author_field: str
    preview: Callable[[Model], str]
    label: str
    #: Model fields holding the item's user-written text (checked against blocked terms).
    text_fields: tuple[str, ...] = field(default=())

    def author_id(self, obj: Model) -> int | None:
        """The id of the user who wrote ``obj`` (follows ``author_field``; ``"pk"`` for a person)."""
        if self.author_field == "pk":
            return obj.pk
        value = obj
        for part in self.author_field.split("__"):
            value = getattr(value, part, None)
            if value is None:
                return None
        return value.pk if isinstance(value, Model) else value

    def by_author(self, user_id: int) -> QuerySet:
        """Every row of this kind written by ``user_id`` (any visibility)."""
        return self.model.objects.filter(**{self.author_field: user_id})

    def is_public(self, obj: Model) -> bool:
        return self.public().filter(pk=obj.pk).exists()


_KINDS: dict[str, ContentKind] = {}


def register(
    *,
    name: str,
    model: type[Model],
    set_visibility: Callable[..., bool],
    public: Callable[[], QuerySet],
    author_field: str,
    preview: Callable[[Model], str],
    label: str,
    text_fields: tuple[str, ...] = (),
    notification_subject: bool = False,
) -> ContentKind:
    """Declare a kind of content (idempotent by ``name``: the last registration wins)."""
    kind = ContentKind(
        name=name,
        model=model,
        set_visibility=set_visibility,
        public=public,
        author_field=author_field,
        preview=preview,
        label=label,
        text_fields=tuple(text_fields),
    )
    _KINDS[name] = kind
    for signal in (post_save, post_delete):
        signal.connect(_content_written, sender=model, dispatch_uid=f"community.content_written.{name}")
    if notification_subject:
        from community.selectors.notifications import notification_subject_register

        notification_subject_register(name, public)
    return kind


def _content_written(sender, instance, created=False, update_fields=None, **kwargs) -> None:
    """A row of a registered kind was changed or deleted: what is public may have changed, so
    entries that depend on it (the unread badge) are rebuilt (``community/caching.py``). A new
    row changes nothing that existed (and chat, answers and stories are mostly new rows); nor
    does a sign-in's ``last_login`` stamp."""
    if created or (update_fields is not None and set(update_fields) <= {"last_login"}):
        return
    bump_on_commit(CONTENT_TAG, now=True)


def kinds() -> list[ContentKind]:
    """Every registered kind, in registration order."""
    return list(_KINDS.values())


def kind_named(name: str) -> ContentKind | None:
    return _KINDS.get(name)


def kind_of(obj_or_model) -> ContentKind | None:
    """The kind whose model ``obj_or_model`` is (an instance or a model class), or None."""
    model = obj_or_model if isinstance(obj_or_model, type) else type(obj_or_model)
    for kind in _KINDS.values():
        if kind.model is model or model._meta.concrete_model is kind.model:
            return kind
    return None
