"""Page views for sales: the sale list, a sale's page (countdown, deals, leaderboards), deal
enrolment for sellers, and shop vouchers (list, claim, offer)."""

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from core.errors import ApplicationError
from core.ids import positive_int
from marketplace.models import SaleStatus
from marketplace.selectors import sales as sale_selectors
from marketplace.selectors.catalogue import shop_get_for_owner, shop_get_for_writing, shop_get_public
from marketplace.services import sales as sale_services

# --- Forms ----------------------------------------------------------------------------------------


class DealEnrolForm(forms.Form):
    product = forms.ModelChoiceField(
        label=_("Product"), queryset=None, help_text=_("One of your shop's products on sale.")
    )
    deal_price = forms.DecimalField(
        label=_("Deal price"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
        help_text=_("Either a deal price…"),
    )
    percent_off = forms.IntegerField(
        label=_("Percent off"), min_value=1, max_value=99, required=False, help_text=_("…or a percentage off.")
    )
    flash_quantity = forms.IntegerField(
        label=_("Flash quantity"),
        min_value=1,
        required=False,
        help_text=_("Optional: only this many sell at the deal price."),
    )
    per_buyer_limit = forms.IntegerField(
        label=_("Per-buyer limit"), min_value=1, required=False, help_text=_("Optional: at most this many each.")
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = sale_selectors.product_list_enrollable(user=user)

    def clean(self):
        data = super().clean()
        if (data.get("deal_price") is None) == (data.get("percent_off") is None):
            raise forms.ValidationError(_("Give either a deal price or a percentage off."))
        return data


class VoucherForm(forms.Form):
    title = forms.CharField(
        label=_("Title"), max_length=80, required=False, help_text=_("Optional, e.g. “12.12 warm-up”.")
    )
    min_spend = forms.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal("0.01"), label=_("Spend at least")
    )
    discount = forms.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"), label=_("Save"))
    total = forms.IntegerField(min_value=1, label=_("How many vouchers"))
    valid_from = forms.DateTimeField(
        label=_("Valid from"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    valid_until = forms.DateTimeField(
        label=_("Valid until"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )


# --- Sales ----------------------------------------------------------------------------------------


def _ms(instant) -> int:
    return int(instant.timestamp() * 1000)


#: Past sales shown on the sales page (most recent first).
PAST_SALES = 6


def sale_list(request):
    """Live, upcoming and past sales, each with its banner, dates, countdown and its flash and
    featured deals (fresh counters). A fixed number of queries however many sales and deals."""
    now = timezone.now()
    sales = list(sale_selectors.sale_list(now=now))
    live = [s for s in sales if s.current_status == SaleStatus.LIVE]
    upcoming = [s for s in sales if s.current_status == SaleStatus.SCHEDULED]
    past = sorted((s for s in sales if s.current_status == SaleStatus.ENDED), key=lambda s: s.ends_at, reverse=True)
    past = past[:PAST_SALES]
    showcase = sale_selectors.sale_showcase(sales=[*live, *upcoming, *past], now=now)

    def rows(group):
        return [
            {
                "sale": sale,
                "target_ms": _ms(sale.ends_at if sale.current_status == SaleStatus.LIVE else sale.starts_at),
                **showcase[sale.id],
            }
            for sale in group
        ]

    groups = [
        {"status": "live", "title": _("Live now"), "rows": rows(live)},
        {"status": "scheduled", "title": _("Coming up"), "rows": rows(upcoming)},
        {"status": "ended", "title": _("Past sales"), "rows": rows(past)},
    ]
    context = {"groups": groups, "any": bool(sales), "now_ms": _ms(now)}
    return render(request, "marketplace/sale_list.html", context)


def sale_detail(request, slug):
    now = timezone.now()
    sale = get_object_or_404(sale_selectors.sale_list(now=now), slug=slug)
    params = request.GET
    filters = {
        "sort": params.get("sort") if params.get("sort") in sale_selectors.DEAL_SORTS else sale_selectors.DEFAULT_SORT,
        "category": params.get("category", ""),
        "shop": params.get("shop", ""),
    }
    page = params.get("page", "1")
    cards = sale_selectors.sale_deal_cards(sale=sale, now=now, page=positive_int(page) or 1, **filters)
    counters = sale_selectors.deal_counters(deal_ids=[card["deal_id"] for card in cards.cards])
    context = {
        "sale": sale,
        "status": sale.current_status,
        "is_scheduled": sale.current_status == SaleStatus.SCHEDULED,
        "is_live": sale.current_status == SaleStatus.LIVE,
        "deals": [{**card, **counters.get(card["deal_id"], {})} for card in cards.cards],
        "page": cards,
        "filters": filters,
        "sorts": [("discount", _("Biggest discount")), ("popular", _("Most popular")), ("price", _("Lowest price"))],
        "facets": sale_selectors.sale_facets(sale=sale),
        "rankings": sale_selectors.sale_ranking_list(sale=sale),
        "vouchers": list(sale_selectors.voucher_list_for_sale(sale=sale, user=request.user, now=now))
        if sale.ends_at > now
        else [],
        "now_ms": _ms(now),
        "starts_ms": _ms(sale.starts_at),
        "ends_ms": _ms(sale.ends_at),
    }
    return render(request, "marketplace/sale_detail.html", context)


@login_required
def deal_enrol(request, slug):
    sale = get_object_or_404(sale_selectors.sale_list(), slug=slug)
    form = DealEnrolForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            deal = sale_services.deal_enrol(
                user=request.user,
                sale=sale,
                product_id=data["product"].id,
                deal_price=data["deal_price"],
                percent_off=data["percent_off"],
                flash_quantity=data["flash_quantity"],
                per_buyer_limit=data["per_buyer_limit"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("%(product)s is enrolled in %(sale)s; a moderator will review it.")
                % {"product": deal.product, "sale": sale},
            )
            return redirect("marketplace:deal_enrol", slug=sale.slug)
    context = {"sale": sale, "form": form, "deals": sale_selectors.deal_list_for_seller(sale=sale, user=request.user)}
    return render(request, "marketplace/deal_form.html", context)


# --- Vouchers -------------------------------------------------------------------------------------


def shop_vouchers(request, slug):
    shop = shop_get_public(slug=slug)
    vouchers = sale_selectors.voucher_list_for_shop(shop=shop, user=request.user)
    is_owner = request.user.is_authenticated and shop.owner_id == request.user.id
    return render(request, "marketplace/voucher_list.html", {"shop": shop, "vouchers": vouchers, "is_owner": is_owner})


@require_POST
@login_required
def voucher_claim(request, pk):
    try:
        claim = sale_services.voucher_claim(user=request.user, voucher_id=pk)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Voucher claimed: %(voucher)s. It applies at checkout.") % {"voucher": claim.voucher}
        )
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "marketplace:sale_list"
    return redirect(target)


@login_required
def seller_vouchers(request):
    """The seller's vouchers: live, coming and ended, with claimed and used counts; offer one,
    end one."""
    shop = shop_get_for_owner(user=request.user)
    if shop is None:
        return redirect("marketplace:shop_create")
    now = timezone.now()
    vouchers = list(sale_selectors.voucher_list_for_owner(user=request.user))
    for voucher in vouchers:
        voucher.phase = "ended" if voucher.valid_until <= now else "coming" if voucher.valid_from > now else "live"
    return render(request, "marketplace/seller_vouchers.html", {"shop": shop, "vouchers": vouchers})


@require_POST
@login_required
def voucher_end(request, pk):
    try:
        voucher = sale_services.voucher_end(user=request.user, voucher_id=pk)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Voucher ended: %(voucher)s. Nobody can claim it now, and unused claims no longer apply.")
            % {"voucher": voucher},
        )
    return redirect("marketplace:seller_vouchers")


@login_required
def voucher_create(request, slug):
    shop = shop_get_for_writing(slug=slug, user=request.user)
    if shop.owner_id != request.user.id:
        messages.error(request, _("Only the shop's owner can offer its vouchers."))
        return redirect("marketplace:shop_vouchers", slug=shop.slug)
    form = VoucherForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            voucher = sale_services.voucher_create(user=request.user, shop=shop, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Voucher offered: %(voucher)s.") % {"voucher": voucher})
            return redirect("marketplace:seller_vouchers")
    return render(request, "marketplace/voucher_form.html", {"shop": shop, "form": form})
