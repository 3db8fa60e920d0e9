"""The notification inbox: create (deduplicated), mark read, e-mail, and the sale fan-out.

Notifications are stored language-neutrally: callers pass ``title`` / ``body`` as English source
strings marked with ``gettext_noop`` (so ``make messages`` extracts them) and the values for their
placeholders in ``params``; the inbox translates them when shown, e-mails are written in the
recipient's language (``User.language``). Text a person wrote (a question, an answer) goes in
``params`` too, never into the msgid. ``subject`` names the content a notification is about
(``("question", 12)``) so that the inbox hides it when that content is hidden
(``community.selectors.notifications``).
"""

import logging
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from community.caching import user_tag
from community.models import Notification, NotificationKind, ShopFollow, User
from core.cache import bump_on_commit
from core.tasks import enqueue_on_commit
from marketplace.selectors.sales import sale_get_by_id, shop_ids_in_sale

if TYPE_CHECKING:
    from marketplace.models import SaleEvent

logger = logging.getLogger(__name__)

#: Notifications are inserted and e-mailed in chunks of this many recipients.
FANOUT_CHUNK = 1000


#: ``(subject_type, subject_id)``: what a notification is about; ``None`` for nothing in particular.
Subject = tuple[str, int] | None


def _email_on_commit(notification_ids: list[int]) -> None:
    if not notification_ids:
        return
    from community.tasks import notifications_email  # tasks import services: import here

    enqueue_on_commit(notifications_email, notification_ids)


def notification_create(
    *,
    recipient: User,
    kind: str,
    title: str,
    body: str = "",
    params: dict | None = None,
    subject: Subject = None,
    url: str = "",
    dedupe_key: str = "",
    email: bool = True,
) -> Notification | None:
    """Put a notification in ``recipient``'s inbox and, when they have an e-mail address and
    ``email`` is true, e-mail it after commit. ``title``/``body`` are msgids filled from
    ``params`` when shown (see the module docstring). With a ``dedupe_key`` the same key never
    notifies the same person twice: the second call returns None."""
    subject_type, subject_id = subject or ("", None)
    try:
        with transaction.atomic():  # a savepoint: a duplicate key leaves the caller's transaction usable
            notification = Notification.objects.create(
                recipient=recipient,
                kind=kind,
                title=title[:200],
                body=body,
                params=params or {},
                subject_type=subject_type,
                subject_id=subject_id,
                url=url,
                dedupe_key=dedupe_key,
            )
    except IntegrityError:
        if dedupe_key and Notification.objects.filter(recipient=recipient, dedupe_key=dedupe_key).exists():
            return None
        raise
    if email and recipient.email:
        _email_on_commit([notification.pk])
    return notification


def _chunks(values: Iterable[int], size: int) -> Iterator[list[int]]:
    iterator = iter(values)
    while chunk := list(islice(iterator, size)):
        yield chunk


def notifications_create_bulk(
    *,
    recipient_ids: Iterable[int],
    kind: str,
    title: str,
    body: str = "",
    params: dict | None = None,
    subject: Subject = None,
    url: str = "",
    dedupe_key: str,
) -> int:
    """The same notification for many people, FANOUT_CHUNK at a time, each chunk in its own
    transaction (a retried job resumes where it stopped: ``dedupe_key`` skips those already
    notified). Returns how many notifications this call created."""
    if not dedupe_key:
        raise ValueError("bulk notifications need a dedupe_key so that a retried job notifies once")
    subject_type, subject_id = subject or ("", None)
    created = 0
    for chunk in _chunks(recipient_ids, FANOUT_CHUNK):
        with transaction.atomic():
            done = set(
                Notification.objects.filter(recipient_id__in=chunk, dedupe_key=dedupe_key).values_list(
                    "recipient_id", flat=True
                )
            )
            new_ids = [user_id for user_id in chunk if user_id not in done]
            Notification.objects.bulk_create(
                [
                    Notification(
                        recipient_id=user_id,
                        kind=kind,
                        title=title[:200],
                        body=body,
                        params=params or {},
                        subject_type=subject_type,
                        subject_id=subject_id,
                        url=url,
                        dedupe_key=dedupe_key,
                    )
                    for user_id in new_ids
                ],
                ignore_conflicts=True,  # a concurrent run may have inserted some meanwhile
            )
            # Their badges (bulk_create sends no post_save: community/receivers.py).
            bump_on_commit(*(user_tag(user_id) for user_id in new_ids), now=True)
            created += len(new_ids)
            email_ids = list(
                Notification.objects.filter(recipient_id__in=new_ids, dedupe_key=dedupe_key, emailed_at__isnull=True)
                .exclude(recipient__email="")
                .values_list("pk", flat=True)
            )
            _email_on_commit(email_ids)
    return created


@transaction.atomic
def notifications_mark_read(*, user: User, notification_ids: Iterable[int] | None = None) -> int:
    """Mark ``user``'s unread notifications read (only those in ``notification_ids`` when given;
    ids of other people's notifications are ignored). Returns how many changed."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=list(notification_ids))
    changed = unread.update(read_at=timezone.now())
    if changed:
        bump_on_commit(user_tag(user.pk), now=True)  # the badge (an UPDATE sends no post_save)
    return changed


def _email_text(notification: Notification) -> tuple[str, str]:
    """Subject and body of ``notification``'s e-mail, in the active language. The link goes
    through the inbox (``notification_open``), which says "no longer available" instead of a 404
    when the content was hidden meanwhile."""
    body = notification.shown_body
    if notification.url:
        base = settings.SITE_URL.rstrip("/")
        link = reverse("community:notification_open", kwargs={"pk": notification.pk})
        body = f"{body}\n\n{base}{link}".strip()
    return notification.shown_title, body


def notifications_email_send(*, notification_ids: Iterable[int]) -> int:
    """E-mail each notification once through Django's mail backend, in its recipient's language
    (``User.language``, else ``settings.LANGUAGE_CODE``). Each one is claimed with a conditional
    update of ``emailed_at`` first, so a retried or duplicated task never mails twice; a failed
    send releases the claim and re-raises for the task to retry. Returns how many were sent."""
    notifications = (
        Notification.objects.filter(pk__in=list(notification_ids), emailed_at__isnull=True)
        .exclude(recipient__email="")
        .select_related("recipient")
    )
    sent = 0
    connection = get_connection()
    for notification in notifications:
        claimed = Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True).update(
            emailed_at=timezone.now()
        )
        if not claimed:
            continue
        with translation.override(notification.recipient.language or settings.LANGUAGE_CODE):
            subject, body = _email_text(notification)
        message = EmailMessage(
            subject=subject,
            body=body,
            to=[notification.recipient.email],
            connection=connection,
        )
        try:
            message.send()
        except Exception:
            Notification.objects.filter(pk=notification.pk).update(emailed_at=None)
            raise
        sent += 1
    return sent


# --- sale fan-out ----------------------------------------------------------------------------

SALE_NOTIFICATIONS = {
    "soon": (
        NotificationKind.SALE_OPENING_SOON,
        gettext_noop("%(name)s opens soon"),
        gettext_noop("Shops you follow take part. It starts at %(start)s."),
    ),
    "opened": (
        NotificationKind.SALE_OPENED,
        gettext_noop("%(name)s is on now"),
        gettext_noop("Shops you follow have deals in %(name)s."),
    ),
}


def _sale_url(sale: "SaleEvent") -> str:
    try:
        return sale.get_absolute_url()
    except NoReverseMatch:  # the sale page is not wired (yet): the inbox entry still makes sense
        return ""


def sale_followers_notify(*, sale_id: int, when: str) -> int:
    """Tell every follower of a shop taking part in sale ``sale_id`` that it opens soon
    (``when="soon"``) or opened (``when="opened"``): one inbox entry per person, however many of
    their shops take part, and exactly once per (user, sale, kind) however often this runs.
    Returns how many notifications this run created."""
    kind, title, body = SALE_NOTIFICATIONS[when]
    sale = sale_get_by_id(sale_id=sale_id)
    if sale is None:
        return 0
    start = timezone.localtime(sale.starts_at).strftime("%Y-%m-%d %H:%M")
    follower_ids = (
        ShopFollow.objects.filter(shop_id__in=shop_ids_in_sale(sale_id=sale_id), user__is_active=True)
        .order_by("user_id")
        .values_list("user_id", flat=True)
        .distinct()
    )
    created, last_id = 0, 0
    # Keyset pages of followers: no cursor stays open across the per-chunk transactions.
    while chunk := list(follower_ids.filter(user_id__gt=last_id)[:FANOUT_CHUNK]):
        last_id = chunk[-1]
        created += notifications_create_bulk(
            recipient_ids=chunk,
            kind=kind,
            title=title,
            body=body,
            params={"name": sale.name, "start": start},
            subject=("sale", sale_id),
            url=_sale_url(sale),
            dedupe_key=f"sale:{sale_id}:{when}",
        )
    return created


#: ``order_event`` → (who is told, title, body). Bodies that quote what the other side wrote use
#: ``%(reason)s`` (a person's words, never translated); ``%(number)s`` is the order number.
ORDER_NOTIFICATIONS = {
    "cancelled_by_seller": (
        "buyer",
        gettext_noop("The seller cancelled order #%(number)s"),
        gettext_noop("Its items went back on sale. The seller said: %(reason)s"),
    ),
    "refund_requested": (
        "seller",
        gettext_noop("Refund requested for order #%(number)s"),
        gettext_noop("The buyer asks for a refund before shipping. Approve it, or it is approved automatically."),
    ),
    "refund_approved": (
        "buyer",
        gettext_noop("Your refund for order #%(number)s was approved"),
        gettext_noop("The money is on its way back to you."),
    ),
    "refund_auto_approved": (
        "both",
        gettext_noop("Order #%(number)s was refunded"),
        gettext_noop("The refund was approved automatically; the items went back into stock."),
    ),
    "return_requested": (
        "seller",
        gettext_noop("Return requested for order #%(number)s"),
        gettext_noop("The buyer wants to return it: %(reason)s"),
    ),
    "return_accepted": (
        "buyer",
        gettext_noop("Your return of order #%(number)s was accepted"),
        gettext_noop("The money is on its way back to you."),
    ),
    "return_refused": (
        "buyer",
        gettext_noop("Your return of order #%(number)s was refused"),
        gettext_noop("The seller said: %(reason)s"),
    ),
}


def order_event_notify(*, order_id: int, buyer_id: int, seller_id: int, event: str, reason: str = "") -> int:
    """Tell the other side of an order about a step (the receiver of ``order_event``): an inbox
    entry linking to the order page, e-mailed like every notification. Returns how many."""
    if event not in ORDER_NOTIFICATIONS:
        return 0
    who, title, body = ORDER_NOTIFICATIONS[event]
    recipient_ids = {"buyer": [buyer_id], "seller": [seller_id], "both": [buyer_id, seller_id]}[who]
    try:
        url = reverse("marketplace:order_detail", kwargs={"pk": order_id})
    except NoReverseMatch:
        url = ""
    created = 0
    for recipient in User.objects.filter(pk__in=recipient_ids, is_active=True):
        created += bool(
            notification_create(
                recipient=recipient,
                kind=NotificationKind.ORDER_UPDATE,
                title=title,
                body=body,
                params={"number": order_id, "reason": reason or "—"},
                url=url,
            )
        )
    return created
