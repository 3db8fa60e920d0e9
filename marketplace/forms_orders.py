"""Forms for the cart, checkout and review pages (input shape only; rules live in services)."""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from marketplace.selectors.orders import QUANTITY_NOT_A_NUMBER
from marketplace.services.images import FORMATS

# The quantity's range (at least 1, at most MAX_LINE_QUANTITY) is the cart service's rule, with
# its own messages; these forms only take a whole number, and say so when it is not one.
_QUANTITY_ERRORS = {"invalid": QUANTITY_NOT_A_NUMBER, "required": QUANTITY_NOT_A_NUMBER}


class CartAddForm(forms.Form):
    product = forms.IntegerField(widget=forms.HiddenInput)
    quantity = forms.IntegerField(initial=1, label=_("Quantity"), error_messages=_QUANTITY_ERRORS)


class CartQuantityForm(forms.Form):
    quantity = forms.IntegerField(
        label=_("Quantity"), help_text=_("0 removes the item."), error_messages=_QUANTITY_ERRORS
    )


class CheckoutForm(forms.Form):
    """One optional voucher choice per shop in the cart, plus a hidden Idempotency-Key so a
    double-submitted form places the orders once."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=255)

    def __init__(self, *args, shops=(), claims=(), **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)
        by_shop = {}
        for claim in claims:
            by_shop.setdefault(claim.voucher.shop_id, []).append(claim)
        for shop in shops:
            if shop.pk in by_shop:
                choices = [("", _("No voucher"))] + [
                    (
                        str(claim.pk),
                        _("%(voucher)s (save %(discount)s on %(min_spend)s+)")
                        % {
                            "voucher": claim.voucher,
                            "discount": claim.voucher.discount,
                            "min_spend": claim.voucher.min_spend,
                        },
                    )
                    for claim in by_shop[shop.pk]
                ]
                self.fields[f"voucher_{shop.pk}"] = self._voucher_field(
                    _("Voucher for %(shop)s") % {"shop": shop.name}, choices
                )
        # A resubmitted form (same Idempotency-Key) still names the vouchers it chose, though they
        # are in use and the cart is empty by now: keep them so the request matches and replays.
        for name in self.data if self.is_bound else ():
            if name.startswith("voucher_") and name not in self.fields:
                self.fields[name] = self._voucher_field(name, [])

    @staticmethod
    def _voucher_field(label: str, choices) -> forms.Field:
        # Any claim id is accepted here; checkout_submit decides whether it may be used.
        return forms.IntegerField(required=False, min_value=1, label=label, widget=forms.Select(choices=choices))

    def voucher_claim_ids(self) -> list[int]:
        return [v for name, v in self.cleaned_data.items() if name.startswith("voucher_") and v]


class MultipleImageInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    """Several files in one input (Django's documented pattern)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget", MultipleImageInput(attrs={"accept": ",".join(f"image/{f.lower()}" for f in FORMATS)})
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleImageField, self).clean(d, initial) for d in data]
        return [super().clean(data, initial)] if data else []


class ReviewForm(forms.Form):
    rating = forms.TypedChoiceField(
        choices=[
            (5, _("5 – Excellent")),
            (4, _("4 – Good")),
            (3, _("3 – OK")),
            (2, _("2 – Poor")),
            (1, _("1 – Bad")),
        ],
        coerce=int,
        label=_("Rating"),
    )
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}), max_length=4000, required=False, label=_("Your review")
    )
    images = MultipleImageField(
        required=False, label=_("Photos (optional)"), help_text=_("JPEG, PNG or WebP; up to 6.")
    )
