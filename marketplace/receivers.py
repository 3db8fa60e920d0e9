"""The marketplace's own cache bumps on writes it does not make through its services (connected
in ``MarketplaceConfig.ready``): a person saved or deleted (deactivated, signed out), or one of
their API tokens deleted, drops the sale-day early answers of their checkouts
(``caching.buyer_checkout_tag``, ``services/admission_early.py``), so a deactivated person or a
deleted token gets DRF's 401 again on the next request."""

from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save

from core.cache import bump_on_commit
from marketplace.caching import buyer_checkout_tag


def on_person_written(sender, instance, **kwargs):
    bump_on_commit(buyer_checkout_tag(instance.pk))


def on_token_deleted(sender, instance, **kwargs):
    bump_on_commit(buyer_checkout_tag(instance.user_id))


def connect() -> None:
    from rest_framework.authtoken.models import Token

    user_model = get_user_model()
    post_save.connect(on_person_written, sender=user_model, dispatch_uid="marketplace.person_saved")
    post_delete.connect(on_person_written, sender=user_model, dispatch_uid="marketplace.person_deleted")
    post_delete.connect(on_token_deleted, sender=Token, dispatch_uid="marketplace.token_deleted")
