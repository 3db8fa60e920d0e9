"""Receivers of the marketplace's domain signals (connected in ``CommunityConfig.ready``).
Each calls one community service, or queues one community task where the work may be large.
Also: a write to a person or to their inbox bumps their cache tag (``community/caching.py``)."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from community.caching import token_tag, user_tag
from community.models import ActivityKind, Notification, User
from community.services import activity, notifications
from core.cache import bump_on_commit
from core.tasks import enqueue_on_commit
from marketplace import signals


@receiver(signals.sale_opening_soon, dispatch_uid="community.sale_opening_soon")
def on_sale_opening_soon(sender, sale_id, **kwargs):
    from community.tasks import sale_followers_notify

    enqueue_on_commit(sale_followers_notify, sale_id, "soon")


@receiver(signals.sale_opened, dispatch_uid="community.sale_opened")
def on_sale_opened(sender, sale_id, **kwargs):
    from community.tasks import sale_followers_notify

    enqueue_on_commit(sale_followers_notify, sale_id, "opened")


@receiver(signals.product_viewed, dispatch_uid="community.product_viewed")
def on_product_viewed(sender, user_id, product_id, category_id=None, **kwargs):
    activity.activity_record(user_id=user_id, kind=ActivityKind.VIEWED, product_id=product_id, category_id=category_id)


@receiver(signals.order_paid, dispatch_uid="community.order_paid")
def on_order_paid(sender, order_id, **kwargs):
    activity.activities_record_order(order_id=order_id)


@receiver(signals.order_event, dispatch_uid="community.order_event")
def on_order_event(sender, order_id, buyer_id, seller_id, event, reason="", **kwargs):
    notifications.order_event_notify(
        order_id=order_id, buyer_id=buyer_id, seller_id=seller_id, event=event, reason=reason
    )


@receiver(signals.review_posted, dispatch_uid="community.review_posted")
def on_review_posted(sender, review_id, **kwargs):
    activity.activity_record_review(review_id=review_id)


@receiver(post_save, sender=User, dispatch_uid="community.user_saved")
@receiver(post_delete, sender=User, dispatch_uid="community.user_deleted")
def on_user_written(sender, instance, **kwargs):
    """The signed-in user entry of their requests is rebuilt (``community/caching.py``)."""
    bump_on_commit(user_tag(instance.pk), now=True)


@receiver(post_save, sender=Notification, dispatch_uid="community.notification_saved")
@receiver(post_delete, sender=Notification, dispatch_uid="community.notification_deleted")
def on_notification_written(sender, instance, **kwargs):
    """The recipient's badge comes with their cached user entry: rebuilt."""
    bump_on_commit(user_tag(instance.recipient_id), now=True)


def on_token_deleted(sender, instance, **kwargs):
    """A deleted API token stops authenticating on the next request (its cached entry)."""
    bump_on_commit(token_tag(instance.key), now=True)


def connect_token_receivers() -> None:
    """DRF's token model is imported once the apps are ready (``CommunityConfig.ready``)."""
    from rest_framework.authtoken.models import Token

    post_delete.connect(on_token_deleted, sender=Token, dispatch_uid="community.token_deleted")
