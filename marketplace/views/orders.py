"""Pages for the cart, checkout, orders (buyer and seller) and writing reviews. Thin: validate a
form, call one service or selector, render; domain errors become messages."""

from decimal import Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import pages
from core.cache import tag_versions
from core.errors import ApplicationError
from core.ids import positive_int
from marketplace.caching import TAG_ALL, cart_tag, product_tag, shop_vouchers_tag
from marketplace.errors import CheckoutErrorCode
from marketplace.forms_orders import (
    NEW_ADDRESS,
    AddressForm,
    CartAddForm,
    CartQuantityForm,
    CheckoutForm,
    ReviewForm,
    add_service_errors,
)
from marketplace.models import OrderStatus
from marketplace.payments import get_payment_backend
from marketplace.selectors import addresses as address_selectors
from marketplace.selectors import orders as selectors
from marketplace.services import addresses as address_services
from marketplace.services import cart as cart_services
from marketplace.services import checkout as checkout_services
from marketplace.services import orders as order_services
from marketplace.services import refunds as refund_services
from marketplace.services import reviews as review_services
from marketplace.templatetags.catalogue import money

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


def _signed_in_cart(user, now):
    """The buyer's cart, each shop with what their claimed vouchers do there."""
    cart_view = selectors.cart_get(user=user, now=now)
    if cart_view.shops:
        claims = selectors.voucher_claim_list_usable_for_cart(user=user, now=now)
        options = selectors.voucher_options_for_cart(cart=cart_view, claims=claims)
        for group in cart_view.shops:
            group.vouchers = options.get(group.shop.pk)
    return cart_view


def _cart_page_key(buyer_id) -> str:
    return f"mkt:page:cart:{buyer_id}:{get_language()}"


def _cart_page_tags(buyer_id) -> tuple[str, ...]:
    return (cart_tag(buyer_id), TAG_ALL)


def cart(request):
    """The cart, by shop; for a signed-in buyer each shop also says what their claimed vouchers
    do there ("¥Y off at checkout", or "spend ¥X more at this shop for ¥Y off").

    A signed-in buyer's page is cached for them alone as a page shell (``core.pages``: their
    account links and CSRF token put in per request) under :func:`~marketplace.caching.cart_tag`
    (every write to their cart, their orders placed or released, their live-deal claims) and
    ``TAG_ALL`` (sales and deals), with the tags of the products and shops it shows (price,
    stock, deals' flash units, visibility; the shops' vouchers) read before the data they cover,
    until the next instant the clock alone could change it (``selectors.cart_next_change``)."""
    # The buyer's session, then their page's shell with their user; one round trip for a session
    # this process has served.
    pages.visitor_shell_ahead(request, key=_cart_page_key, tags=_cart_page_tags)
    if not request.user.is_authenticated:
        return render(request, "marketplace/cart.html", {"cart": _cart_for(request)})
    user = request.user

    def build():
        # The cart's tag was read before this (core.cache); its lines name the products and
        # shops whose tags the page depends on too, read before their data.
        ids = selectors.cart_product_and_shop_ids(user=user)
        extra = tag_versions([*(product_tag(p) for p, _ in ids), *(shop_vouchers_tag(s) for _, s in ids)])
        now = timezone.now()
        cart_view = _signed_in_cart(user, now)
        content, personal = pages.render_shared(request, "marketplace/cart.html", {"cart": cart_view, "shell": True})
        if personal:
            return content, 0
        next_change = selectors.cart_next_change(cart=cart_view, user=user, now=now)
        return content, next_change.timestamp() if next_change else None, extra

    response = pages.serve_shell(request, key=_cart_page_key(user.pk), tags=_cart_page_tags(user.pk), build=build)
    if response is None:  # messages waiting: rendered in full, so they show
        response = render(request, "marketplace/cart.html", {"cart": _signed_in_cart(user, timezone.now())})
    return response


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


def _checkout_sections(cart_view, form, options, claims_by_id):
    """Per shop: the cart group, its voucher field, its voucher options, and the saving of the
    voucher chosen now (the form's choice, or the preselected best one)."""
    sections = []
    for group in cart_view.shops:
        name = f"voucher_{group.shop.pk}"
        field = form[name] if name in form.fields else None
        chosen = form.data.get(name) if form.is_bound else form.initial.get(name)
        claim = claims_by_id.get(positive_int(chosen)) if chosen else None
        usable = claim is not None and group.subtotal >= claim.voucher.min_spend
        discount = claim.voucher.discount if usable else Decimal("0.00")
        sections.append(
            {
                "group": group,
                "voucher_field": field,
                "options": options.get(group.shop.pk),
                "discount": discount,
                "total": group.subtotal - discount,
            }
        )
    return sections


@login_required
def checkout(request):
    """Step 1 of 2: where to deliver (an address of the book, or a new one typed here), a voucher
    per shop (the best claimed one preselected) and the total after vouchers; placing the orders
    leads to step 2, the payment page."""
    cart_view = selectors.cart_get(user=request.user)
    shops = [group.shop for group in cart_view.shops]
    claims = list(selectors.voucher_claim_list_usable(user=request.user, shop_ids=[s.pk for s in shops]))
    options = selectors.voucher_options_for_cart(cart=cart_view, claims=claims)
    addresses = list(address_selectors.address_list_for_user(user=request.user))
    data = request.POST if request.method == "POST" else None
    form = CheckoutForm(
        data,
        shops=shops,
        claims=[claim for option in options.values() for claim in option.usable],
        addresses=addresses,
        best_claims={shop_id: option.best for shop_id, option in options.items() if option.best},
    )
    new_address = AddressForm(
        data if data is not None and data.get("address") == NEW_ADDRESS else None,
        prefix="new",
        initial={"is_default": not addresses},
    )
    if request.method == "POST" and form.is_valid():
        address_id = form.address_id()
        if form.new_address_chosen() and new_address.is_valid():
            try:
                address_id = address_services.address_create(
                    user=request.user,
                    is_default=new_address.cleaned_data["is_default"],
                    **new_address.address_values(),
                ).pk
            except ApplicationError as error:
                add_service_errors(new_address, error)
        if not new_address.errors:
            try:
                result = checkout_services.checkout_submit(
                    buyer=request.user,
                    voucher_claim_ids=form.voucher_claim_ids(),
                    address_id=address_id,
                    idempotency_key=form.cleaned_data["idempotency_key"],
                )
            except ApplicationError as error:  # sold out, a voucher refused, the key reused, ...
                messages.error(request, error.message)
                if error.code == CheckoutErrorCode.ADDRESS_REQUIRED:
                    return redirect("marketplace:checkout")
                return redirect("marketplace:cart")
            if not result.replayed:
                messages.success(
                    request,
                    _("Order placed.")
                    if len(result.order_ids) == 1
                    else _("%(count)s orders placed (one per shop).") % {"count": len(result.order_ids)},
                )
            return redirect(f"{reverse('marketplace:payment')}?{urlencode({'orders': _ids(result.order_ids)})}")
    if not cart_view.lines and request.method == "GET":
        messages.info(request, _("Your cart is empty."))
        return redirect("marketplace:cart")
    sections = _checkout_sections(cart_view, form, options, {c.pk: c for c in claims})
    context = {
        "cart": cart_view,
        "form": form,
        "new_address": new_address,
        "addresses": addresses,
        "new_address_value": NEW_ADDRESS,
        "sections": sections,
        "voucher_discounts": {str(c.pk): str(c.voucher.discount) for c in claims},
        "money_zero": money(Decimal("0")),
        "discount": sum((s["discount"] for s in sections), Decimal("0.00")),
        "total": sum((s["total"] for s in sections), Decimal("0.00")),
        "timeout_minutes": settings.ORDER_PAYMENT_TIMEOUT_MINUTES,
    }
    return render(request, "marketplace/checkout.html", context)


def _ids(ids) -> str:
    return ",".join(str(i) for i in ids)


@login_required
def payment(request):
    """Step 2 of 2: pay the orders a checkout placed (``?orders=1,2``: one per shop), before the
    deadline the countdown shows. Unpaid orders expire and give their items back."""
    ids = [i for i in map(positive_int, request.GET.get("orders", "").split(",")) if i][:50]
    orders = list(selectors.order_list_for_payment(user=request.user, order_ids=ids))
    if not orders:
        messages.info(request, _("There is nothing to pay here."))
        return redirect("marketplace:order_list")
    pending = [o for o in orders if o.status == OrderStatus.PENDING_PAYMENT]
    if request.method == "POST":
        paid, errors = order_services.order_pay_each(orders=pending, buyer=request.user)
        for error in errors:
            messages.error(request, error.message)
        if paid:
            messages.success(
                request,
                ngettext("Paid: order #%(numbers)s.", "Paid: orders #%(numbers)s.", len(paid))
                % {"numbers": ", #".join(str(o.pk) for o in paid)},
            )
        if len(orders) == 1:
            return redirect("marketplace:order_detail", pk=orders[0].pk)
        return redirect("marketplace:order_list")
    backend = get_payment_backend()
    deadline = min((o.expires_at for o in pending if o.expires_at), default=None)
    context = {
        "orders": orders,
        "pending": pending,
        "total": sum((o.total for o in pending), Decimal("0.00")),
        "deadline": deadline,
        "deadline_ms": int(deadline.timestamp() * 1000) if deadline else None,
        "now_ms": int(timezone.now().timestamp() * 1000),
        "timeout_minutes": settings.ORDER_PAYMENT_TIMEOUT_MINUTES,
        "payment_label": backend.label,
        "payment_is_simulated": backend.simulated,
        "ids": _ids(o.pk for o in orders),
    }
    return render(request, "marketplace/payment.html", context)


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
    return render(request, "marketplace/order_detail.html", _order_context(request, order))


def _order_context(request, order) -> dict:
    backend = get_payment_backend()
    return {
        "order": order,
        "is_buyer": order.buyer_id == request.user.pk,
        "is_seller": order.shop.owner_id == request.user.pk,
        "payment_label": backend.label,
        "payment_is_simulated": backend.simulated,
        "deadline_ms": int(order.expires_at.timestamp() * 1000) if order.expires_at else None,
        "now_ms": int(timezone.now().timestamp() * 1000),
        "return_until": refund_services.return_window_closes_at(order),
        "now": timezone.now(),
    }


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


#: What the after-sale page form may ask for, and what the buyer or seller is told on success.
AFTER_SALE_ACTIONS = {
    "cancel": gettext_lazy("Order #%(number)s cancelled; the buyer is told why."),
    "refund": gettext_lazy("Refund requested for order #%(number)s."),
    "return": gettext_lazy("Return requested for order #%(number)s; the seller will answer."),
    "approve": gettext_lazy("Order #%(number)s refunded; its items are back in stock."),
    "refuse": gettext_lazy("Return of order #%(number)s refused; the buyer is told why."),
}


@login_required
@require_POST
def order_after_sale(request, pk: int, action: str):
    """A refund or return request (buyer), approving or refusing one, or the seller cancelling an
    unpaid order with a reason. A refusal re-renders the order page with the message next to the
    form and what was typed (400)."""
    if action not in AFTER_SALE_ACTIONS:
        raise Http404
    try:
        order = selectors.order_get_for_user(user=request.user, order_id=pk)
    except ApplicationError as error:
        raise Http404(error.message) from error
    reason = request.POST.get("reason", "")  # whether one is needed, and how long, is the service's rule
    try:
        refund_services.order_after_sale_act(order=order, user=request.user, action=action, reason=reason)
    except ApplicationError as error:
        order = selectors.order_get_for_user(user=request.user, order_id=pk)
        context = _order_context(request, order) | {
            "after_sale_error": error.message,
            "after_sale_action": action,
            "after_sale_reason": reason,
        }
        return render(request, "marketplace/order_detail.html", context, status=error.status)
    messages.success(request, AFTER_SALE_ACTIONS[action] % {"number": order.pk})
    return redirect("marketplace:order_detail", pk=pk)


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
