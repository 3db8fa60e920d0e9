"""The marketplace's domain signals: how the base app tells upper apps (community, headline,
livestream) that something happened, without importing them. Receivers connect in their
``AppConfig.ready()`` and call one service of their own app. Nothing else uses signals.

Each is sent ``on_commit`` by the service that made the change, with keyword arguments:
"""

from django.dispatch import Signal

#: A signed-in user viewed a product page. kwargs: ``user_id``, ``product_id``, ``category_id``.
product_viewed = Signal()
#: An order was paid. kwargs: ``order_id``, ``buyer_id``.
order_paid = Signal()
#: A review was posted. kwargs: ``review_id``, ``author_id``, ``product_id``.
review_posted = Signal()
#: A sale opens within the hour (sent once per sale). kwargs: ``sale_id``.
sale_opening_soon = Signal()
#: A sale opened (sent once per sale). kwargs: ``sale_id``.
sale_opened = Signal()
#: A sale closed (sent once per sale). kwargs: ``sale_id``.
sale_closed = Signal()
