"""Pages for the cart, checkout, orders (buyer and seller) and writing reviews. Thin: validate a
form, call one service or selector, render; domain errors become messages."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from core.errors import ApplicationError
from marketplace.forms_orders import CartAddForm, CartQuantityForm, CheckoutForm, ReviewForm
from marketplace.models import OrderStatus
from marketplace.payments import get_payment_backend
from marketplace.selectors import orders as selectors
from marketplace.services import cart as cart_services
from marketplace.services import checkout as checkout_services
from marketplace.services import orders as order_services
from marketplace.services import reviews as review_services

ORDERS_PER_PAGE = 20


def _back(request, fallback: str):
    """Redirect to ``next`` (or the referring page) when it is on this site, else ``fallback``."""
    target = request.POST.get("next") or request.META.get("HTTP_REFERER", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect(fallback)


def _form_problem(form) -> str:
    """The first error of an invalid cart form (e.g. "Enter a whole number.")."""
    return next(iter(form.errors.values()))[0]


def _cart_for(request):
    if request.user.is_authenticated:
        return selectors.cart_get(user=request.user)
    return selectors.session_cart_get(items=cart_services.session_cart_items(request.session))


def merge_session_cart_on_login(sender, request, user, **kwargs):
    """``user_logged_in`` receiver (wired in ``MarketplaceConfig.ready``): move the anonymous
    session cart into the user's cart."""
    if request is None or not hasattr(request, "session"):
        return
    for note in cart_services.cart_merge_session(user=user, session=request.session):
        messages.warning(request, note, fail_silently=True)


# --- cart -----------------------------------------------------------------------------------


def cart(request):
    return render(request, "marketplace/cart.html", {"cart": _cart_for(request)})


@require_POST
def cart_add(request):
    form = CartAddForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_problem(form))
        return _back(request, reverse("marketplace:cart"))
    product_id, quantity = form.cleaned_data["product"], form.cleaned_data["quantity"]
    try:
        if request.user.is_authenticated:
            cart_services.cart_item_add(user=request.user, product_id=product_id, quantity=quantity)
        else:
            cart_services.session_cart_item_add(session=request.session, product_id=product_id, quantity=quantity)
    except ApplicationError as error:
        messages.error(request, error.message)
        return _back(request, reverse("marketplace:cart"))
    messages.success(request, _("Added to your cart."))
    return redirect("marketplace:cart")


@require_POST
def cart_update(request, product_id: int):
    form = CartQuantityForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_problem(form))
        return redirect("marketplace:cart")
    quantity = form.cleaned_data["quantity"]
    try:
        if request.user.is_authenticated:
            cart_services.cart_item_set_quantity(user=request.user, product_id=product_id, quantity=quantity)
        else:
            cart_services.session_cart_item_set_quantity(
                session=request.session, product_id=product_id, quantity=quantity
            )
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Cart updated.") if quantity else _("Removed from your cart."))
    return redirect("marketplace:cart")


@require_POST
def cart_remove(request, product_id: int):
    try:
        if request.user.is_authenticated:
            cart_services.cart_item_remove(user=request.user, product_id=product_id)
        else:
            cart_services.session_cart_item_remove(session=request.session, product_id=product_id)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Removed from your cart."))
    return redirect("marketplace:cart")


# --- checkout -------------------------------------------------------------------------------


@login_required
def checkout(request):
    cart_view = selectors.cart_get(user=request.user)
    shops = [group.shop for group in cart_view.shops]
    claims = selectors.voucher_claim_list_usable(user=request.user, shop_ids=[s.pk for s in shops])
    form = CheckoutForm(request.POST or None, shops=shops, claims=claims)
    if request.method == "POST" and form.is_valid():
        try:
            result = checkout_services.checkout_submit(
                buyer=request.user,
                voucher_claim_ids=form.voucher_claim_ids(),
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
        except ApplicationError as error:  # sold out, a voucher refused, the key reused, ...
            messages.error(request, error.message)
            return redirect("marketplace:cart")
        ids = result.order_ids
        if not result.replayed:
            minutes = settings.ORDER_PAYMENT_TIMEOUT_MINUTES
            placed = (
                _("Order placed.")
                if len(ids) == 1
                else _("%(count)s orders placed (one per shop).") % {"count": len(ids)}
            )
            pay = ngettext(
                "Please pay within %(minutes)s minute.", "Please pay within %(minutes)s minutes.", minutes
            ) % {"minutes": minutes}
            messages.success(request, f"{placed} {pay}")
        if len(ids) == 1:
            return redirect("marketplace:order_detail", pk=ids[0])
        return redirect("marketplace:order_list")
    if not cart_view.lines and request.method == "GET":
        messages.info(request, _("Your cart is empty."))
        return redirect("marketplace:cart")
    sections = [
        (group, form[f"voucher_{group.shop.pk}"] if f"voucher_{group.shop.pk}" in form.fields else None)
        for group in cart_view.shops
    ]
    context = {
        "cart": cart_view,
        "form": form,
        "sections": sections,
        "timeout_minutes": settings.ORDER_PAYMENT_TIMEOUT_MINUTES,
    }
    return render(request, "marketplace/checkout.html", context)


# --- orders ---------------------------------------------------------------------------------


def _page(request, queryset):
    return Paginator(queryset, ORDERS_PER_PAGE).get_page(request.GET.get("page"))


@login_required
def order_list(request):
    page = _page(request, selectors.order_list_for_buyer(user=request.user))
    return render(request, "marketplace/order_list.html", {"page": page})


@login_required
def seller_order_list(request):
    status = request.GET.get("status") or None
    if status not in OrderStatus.values:
        status = None
    page = _page(request, selectors.order_list_for_seller(user=request.user, status=status))
    return render(
        request,
        "marketplace/order_seller_list.html",
        {"page": page, "status": status, "statuses": OrderStatus.choices},
    )


@login_required
def order_detail(request, pk: int):
    try:
        order = selectors.order_get_for_user(user=request.user, order_id=pk)
    except ApplicationError as error:
        raise Http404(error.message) from error
    backend = get_payment_backend()
    context = {
        "order": order,
        "is_buyer": order.buyer_id == request.user.pk,
        "is_seller": order.shop.owner_id == request.user.pk,
        "payment_label": backend.label,
        "payment_is_simulated": backend.simulated,
    }
    return render(request, "marketplace/order_detail.html", context)


def _order_action(request, pk: int, act, success: str, fallback_name: str = "marketplace:order_detail"):
    try:
        order = selectors.order_get_for_user(user=request.user, order_id=pk)
        act(order)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, success.format(order=order))
    if fallback_name == "marketplace:order_detail":
        return redirect(fallback_name, pk=pk)
    return _back(request, reverse(fallback_name))


@login_required
@require_POST
def order_pay(request, pk: int):
    return _order_action(
        request, pk, lambda o: order_services.order_pay(order=o, buyer=request.user), "Order #{order.pk} is paid."
    )


@login_required
@require_POST
def order_cancel(request, pk: int):
    return _order_action(
        request, pk, lambda o: order_services.order_cancel(order=o, buyer=request.user), "Order #{order.pk} cancelled."
    )


@login_required
@require_POST
def order_confirm(request, pk: int):
    return _order_action(
        request,
        pk,
        lambda o: order_services.order_confirm_delivery(order=o, buyer=request.user),
        "Thanks! Order #{order.pk} is marked as delivered.",
    )


@login_required
@require_POST
def order_ship(request, pk: int):
    return _order_action(
        request,
        pk,
        lambda o: order_services.order_ship(order=o, seller=request.user),
        "Order #{order.pk} is marked as shipped.",
        fallback_name="marketplace:seller_orders",
    )


# --- reviews --------------------------------------------------------------------------------


@login_required
def review_create(request, line_id: int):
    try:
        line = selectors.order_line_get_reviewable(user=request.user, line_id=line_id)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("marketplace:order_list")
    form = ReviewForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            review_services.review_create(
                author=request.user,
                order_line_id=line.pk,
                rating=form.cleaned_data["rating"],
                text=form.cleaned_data["text"],
                images=form.cleaned_data["images"],
            )
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Thank you for your review!"))
            return redirect("marketplace:order_detail", pk=line.order_id)
    return render(request, "marketplace/review_form.html", {"line": line, "form": form})
