"""Community's domain signals: how community tells the apps above it (headline, livestream)
that something happened, without importing them. Sent only through
``core.signals.send_on_commit`` by the service that made the change (after commit, robustly,
with exactly these arguments); receivers connect in their ``AppConfig.ready()`` and call one
service or queue one task of their own app.

================================  ===============================================================
signal                            keyword arguments (and when it is sent)
================================  ===============================================================
``interest_profile_rebuilt``      ``user_id``, ``as_of`` (ISO 8601) — a user's interest profile
                                  was rebuilt as of that moment (the hourly/nightly job, or soon
                                  after a purchase, question, answer or story like). Feeds built
                                  from interests (headline's "for you") follow it.
================================  ===============================================================
"""

from core.signals import DomainSignal

interest_profile_rebuilt = DomainSignal("interest_profile_rebuilt", ["user_id", "as_of"])

#: Every domain signal of community (docs and tests walk this).
ALL = (interest_profile_rebuilt,)
