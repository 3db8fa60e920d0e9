"""What community renders into other apps' pages (core/slots.py), registered in
``CommunityConfig.ready()``. Each function takes the slot's values as keyword arguments and
ignores the ones it does not use (``**_``), so a page may pass more later."""

from functools import cache

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext as _

from community.selectors.people import shop_is_followed
from community.selectors.qa import qa_product_tag, question_summary
from core import slots
from marketplace.selectors.catalogue import product_is_public


def product_questions(*, product, **_values) -> str:
    """``product.below_description`` (shared, cached with the product page; tag
    :func:`qa_product_tag`, bumped by every Q&A write about the product): how many questions
    shoppers asked and the two most answered, each with its best answer and the verified-buyer
    badge, and the way to ask. Nothing for a product that is not public (the owner's preview)."""
    if not product_is_public(product):
        return ""
    summary = question_summary(product_id=product.pk)
    return render_to_string("community/_product_questions_slot.html", {"product": product, **summary})


def product_questions_tags(*, product_id, **_keys) -> list[str]:
    return [qa_product_tag(product_id)]


@cache
def _login_url() -> str:
    return reverse("login")


def shop_follow_button(*, request, shop_id, shop_slug, shop_name, owner_id, **_values) -> str:
    """``shop.actions`` (per request: it depends on the visitor). Anonymous visitors get
    :func:`shop_follow_button_anonymous` — no query, no template, not even a session lookup when
    they have no session cookie; signed-in ones the form, after one indexed EXISTS."""
    signed_in = settings.SESSION_COOKIE_NAME in request.COOKIES and request.user.is_authenticated
    if not signed_in:
        return shop_follow_button_anonymous(shop_name=shop_name)[0]
    user = request.user
    if user.pk == owner_id:
        return ""
    context = {
        "shop_slug": shop_slug,
        "shop_name": shop_name,
        "is_following": shop_is_followed(shop_id=shop_id, user=user),
        "next": request.get_full_path(),
    }
    return render_to_string("community/_shop_follow_button.html", context, request=request)


def shop_follow_button_anonymous(*, shop_name, **_values) -> tuple[str, None]:
    """The "log in to follow" link, the same for every visitor without a session (the page's
    path is the placeholder the slot middleware fills): rendered once into the anonymous shop
    page cache; it depends on no tag (the shop's name is the page's)."""
    label = escape(_("Log in to follow %(name)s") % {"name": shop_name})
    return f'<a class="button" href="{_login_url()}?next={slots.NEXT_PLACEHOLDER}">{label}</a>', None


def _report_link(*, kind: str, object_id: int, next_url: str) -> str:
    return render_to_string("community/_report_link.html", {"kind": kind, "object_id": object_id, "next": next_url})


def product_report_link(*, product, **_values) -> str:
    """``product.beside_buy_box`` (shared: the same link for everyone): report the product."""
    if not product_is_public(product):
        return ""
    return _report_link(kind="product", object_id=product.pk, next_url=product.get_absolute_url())


def shop_report_link(*, shop, **_values) -> str:
    """``shop.sections`` (shared): report the shop."""
    return _report_link(kind="shop", object_id=shop.pk, next_url=shop.get_absolute_url())


def review_report_link(*, review_id, product_id, **_values) -> str:
    """``review.actions`` (shared): report one review on a product page."""
    return _report_link(kind="review", object_id=review_id, next_url=reverse("marketplace:product", args=[product_id]))


def register() -> None:
    slots.register("product.below_description", product_questions, order=10, tags=product_questions_tags)
    slots.register(
        "shop.actions", shop_follow_button, order=10, per_request=True, anonymous=shop_follow_button_anonymous
    )
    slots.register("product.beside_buy_box", product_report_link, order=90)
    slots.register("shop.sections", shop_report_link, order=90)
    slots.register("review.actions", review_report_link, order=10)
