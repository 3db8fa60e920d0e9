"""Community template tags other apps' templates may use: ``{% load community_tags %}``."""

from django import template

from community.selectors.people import shop_is_followed

register = template.Library()


@register.inclusion_tag("community/_shop_follow_button.html", takes_context=True)
def shop_follow_button(context, shop):
    """A follow/unfollow button for ``shop`` (one indexed EXISTS for signed-in visitors)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    return {
        "shop": shop,
        "is_owner": signed_in and shop.owner_id == user.pk,
        "is_following": signed_in and shop_is_followed(shop=shop, user=user),
        "next": request.get_full_path() if request else "",
        "csrf_token": context.get("csrf_token"),
        "user": user,
    }
