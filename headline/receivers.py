"""Receivers of the domain signals of the apps below (connected in ``HeadlineConfig.ready``).
Each calls one headline service, or queues one headline task where the work may be large."""

from django.dispatch import receiver
from django.utils import timezone

from community import signals as community_signals
from headline.services import engagement
from marketplace import signals as marketplace_signals


@receiver(marketplace_signals.order_placed, dispatch_uid="headline.order_placed")
def on_order_placed(sender, order_id, buyer_id, shop_id, lines, **kwargs):
    """Attribute the new order to the story card its buyer clicked last (a small indexed read,
    done inline so the author sees it at once)."""
    engagement.story_order_attribute(
        order_id=order_id,
        buyer_id=buyer_id,
        shop_id=shop_id,
        product_ids=[line.product_id for line in lines],
        placed_at=timezone.now(),
    )


marketplace_signals.order_placed.ahead(engagement.story_order_marks, dispatch_uid="headline.order_placed")


@receiver(marketplace_signals.order_cancelled, dispatch_uid="headline.order_cancelled")
def on_order_cancelled(sender, order_id, **kwargs):
    """A cancelled or expired order no longer counts for its story."""
    engagement.story_order_retract(order_id=order_id)


@receiver(community_signals.interest_profile_rebuilt, dispatch_uid="headline.interest_profile_rebuilt")
def on_interest_profile_rebuilt(sender, user_id, as_of, **kwargs):
    """The "for you" stories follow the interests: rebuild as of the same moment (queue
    ``feeds``). Already after commit (the signal is sent on commit), so queued at once."""
    from headline.tasks import story_feed_rebuild

    story_feed_rebuild.delay(user_id, as_of)
