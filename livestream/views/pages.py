"""Live-room pages: the lists, the room (player + chat + shelf; the socket does the rest), the
host's studio (schedule, stream key) and stats, shows, and the counting redirect."""

import secrets
from datetime import datetime, timedelta

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.errors import ApplicationError
from core.ids import positive_int
from livestream import selectors
from livestream.consumers import VISITOR_COOKIE, viewer_key_for
from livestream.models import RoomStatus
from livestream.services import rooms as room_services
from livestream.services import stats as stat_services
from marketplace.selectors.catalogue import product_get_public, shop_list_public
from marketplace.services.cart import cart_item_add

#: Anonymous visitor cookie lifetime (seconds).
VISITOR_MAX_AGE = 60 * 60 * 24 * 365


def rooms(request):
    """Live now, coming up, ended (with their numbers), and shows."""
    return render(
        request,
        "livestream/rooms.html",
        {
            "live": selectors.room_list(status=RoomStatus.LIVE)[:24],
            "coming": selectors.room_list(status=RoomStatus.SCHEDULED)[:24],
            "ended": selectors.room_list(status=RoomStatus.ENDED)[:12],
            "shows": selectors.show_list()[:12],
        },
    )


def room(request, room_id: int):
    """The room: HLS player (when live with video), chat, shelf, the featured card. The socket
    (static/js/live-room.js) brings it to life."""
    room = selectors.room_get_visible(room_id=room_id)
    user = request.user
    context = {
        "room": room,
        "shelf": selectors.shelf_list(room=room, buyer=user),
        "hls_url": selectors.hls_url(room),
        "is_host": room_services.can_host(room=room, user=user),
        "reminded": selectors.is_reminded(room=room, user=user),
        "room_config": {
            "ws": f"/ws/live/{room.pk}/",
            "room": room.pk,
            "buy": reverse("livestream:buy", kwargs={"room_id": room.pk, "product_id": 0}),
            "text": {
                "connecting": _("Connecting…"),
                "reconnecting": _("Reconnecting…"),
                "live": _("Live now"),
                "ended": _("Ended"),
                "tally": _("%(yea)s%% yea · votes: %(votes)s"),
                "left": _("%(left)s of %(total)s left"),
                "sold_out": _("Sold out"),
                "ends_in": _("ends in %(time)s"),
                "deal_over": _("Deal over"),
                "grabbed": _("Grabbed! Buy now at %(price)s."),
                "room_ended": _("The room has ended."),
            },
        },
    }
    response = render(request, "livestream/room.html", context)
    if not user.is_authenticated and not request.COOKIES.get(VISITOR_COOKIE):
        response.set_cookie(VISITOR_COOKIE, secrets.token_hex(12), max_age=VISITOR_MAX_AGE, samesite="Lax")
    return response


@require_POST
@login_required
def room_remind(request, room_id: int):
    room = selectors.room_get_visible(room_id=room_id)
    on = request.POST.get("on", "1") == "1"
    try:
        room_services.room_remind(room=room, user=request.user, on=on)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("We will tell you when it starts.") if on else _("Reminder removed."))
    return redirect(room)


@require_POST
@login_required
def room_start(request, room_id: int):
    room = selectors.room_get_for_host(room_id=room_id, user=request.user)
    try:
        room_services.room_start_by_host(room=room, user=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect(room)


@require_POST
@login_required
def room_end(request, room_id: int):
    room = selectors.room_get_for_host(room_id=room_id, user=request.user)
    try:
        room_services.room_end_by_host(room=room, user=request.user, message=request.POST.get("message", ""))
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect("livestream:stats", room_id=room.pk)


@require_POST
def buy(request, room_id: int, product_id: int):
    """ "Buy" on the featured card: counts as a visit from the room (for attribution), puts one
    unit in the cart (at the room deal's price once grabbed) and opens the cart."""
    room = selectors.room_get_visible(room_id=room_id)
    product = product_get_public(product_id=product_id)
    stat_services.room_click(room=room, viewer_key=_viewer_key(request), user=request.user, product=product)
    if not request.user.is_authenticated:
        return redirect(f"{reverse('login')}?next={room.get_absolute_url()}")
    try:
        cart_item_add(user=request.user, product_id=product.pk, quantity=1)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect(room)
    messages.success(request, _("Added to your cart."))
    return redirect("marketplace:cart")


def go_product(request, room_id: int, product_id: int):
    """Counting redirect from a room to a product page."""
    room = selectors.room_get_visible(room_id=room_id)
    product = product_get_public(product_id=product_id)
    stat_services.room_click(room=room, viewer_key=_viewer_key(request), user=request.user, product=product)
    return redirect(product)


def go_shop(request, room_id: int, shop_id: int):
    """Counting redirect from a room to a store."""
    room = selectors.room_get_visible(room_id=room_id)
    shop = get_object_or_404(shop_list_public(), pk=shop_id)
    stat_services.room_click(room=room, viewer_key=_viewer_key(request), user=request.user, shop=shop)
    return redirect(shop)


def _viewer_key(request) -> str:
    return viewer_key_for(request.user, request.COOKIES)


@login_required
def room_stats(request, room_id: int):
    """The host's numbers: viewers, chat, hearts, votes, visits, visit rate, attributed sales."""
    room = selectors.room_get_for_host(room_id=room_id, user=request.user)
    stats = selectors.room_stats(room=room)
    return render(request, "livestream/stats.html", {"room": room, "stats": stats, "chart": _chart(stats.timeline)})


def _chart(timeline: list[tuple[str, int]]) -> dict | None:
    """An SVG polyline of viewers per minute (800 x 200 box)."""
    if not timeline:
        return None
    width, height, left, bottom = 800, 200, 40, 180
    top = max(viewers for _, viewers in timeline) or 1
    step = (width - left - 10) / max(len(timeline) - 1, 1)
    points = [(left + i * step, bottom - (viewers / top) * (bottom - 10)) for i, (_, viewers) in enumerate(timeline)]
    every = max(1, len(timeline) // 8)
    return {
        "width": width,
        "height": height,
        "left": left,
        "bottom": bottom,
        "top": top,
        "points": " ".join(f"{x:.1f},{y:.1f}" for x, y in points),
        "labels": [{"x": points[i][0], "text": label} for i, (label, _) in enumerate(timeline) if i % every == 0],
    }


def show(request, slug: str):
    show = selectors.show_get(slug=slug)
    return render(request, "livestream/show.html", {"show": show, "episodes": show.episodes.all()})


class RoomForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=120)
    description = forms.CharField(label=gettext_lazy("Description"), widget=forms.Textarea, required=False)
    scheduled_at = forms.DateTimeField(
        label=gettext_lazy("Starts at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    products = forms.CharField(
        label=gettext_lazy("Shelf (product ids, in order)"),
        required=False,
        help_text=gettext_lazy("Comma-separated ids of products from any shop, e.g. 12, 7, 30."),
    )
    attach_shop = forms.BooleanField(label=gettext_lazy("Attach my shop"), required=False)
    cover = forms.ImageField(label=gettext_lazy("Cover"), required=False)

    def clean_products(self) -> list[int]:
        raw = self.cleaned_data["products"].replace("，", ",")
        ids = [positive_int(part) for part in raw.split(",") if part.strip()]
        if None in ids:
            raise forms.ValidationError(_("Use product ids separated by commas."))
        return ids


@login_required
def studio(request):
    """The host's studio: schedule a room, see the stream key, manage rooms."""
    form = RoomForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            room = room_services.room_create(
                host=request.user,
                title=data["title"],
                description=data["description"],
                scheduled_at=data["scheduled_at"],
                attach_shop=data["attach_shop"],
                product_ids=data["products"],
                cover=data["cover"],
            )
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Room scheduled."))
            return redirect(room)
    if request.method == "GET":
        form.initial["scheduled_at"] = _next_hour(timezone.localtime())
    return render(
        request,
        "livestream/studio.html",
        {
            "form": form,
            "rooms": selectors.room_list_for_host(user=request.user),
            "stream_key": room_services.stream_key_get(user=request.user),
            "rtmp_url": settings.LIVE_RTMP_PUBLISH_URL,
        },
    )


def _next_hour(now: datetime) -> str:
    return (now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")


@require_POST
@login_required
def stream_key_rotate(request):
    room_services.stream_key_rotate(user=request.user)
    messages.success(request, _("New stream key made; the old one no longer works."))
    return redirect("livestream:studio")
