"""Forms for the cart, checkout and review pages (input shape only; rules live in services)."""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from core.ids import MAX_ID, positive_int
from marketplace.selectors.orders import QUANTITY_NOT_A_NUMBER
from marketplace.services.images import FORMATS
from marketplace.templatetags.catalogue import money

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


def _autocomplete(value: str) -> forms.TextInput:
    return forms.TextInput(attrs={"autocomplete": value})


class AddressForm(forms.Form):
    """An address of the address book (page and checkout's inline form). Shape only: the rules
    (required fields, a mainland mobile number, a 6-digit postcode) are the address service's,
    whose refusals the views put next to their fields (:func:`add_service_errors`)."""

    recipient = forms.CharField(label=_("Recipient"), max_length=50, required=False)
    mobile = forms.CharField(
        label=_("Mobile number"),
        max_length=20,
        required=False,
        help_text=_("11 digits, starting with 1."),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel-national"}),
    )
    province = forms.CharField(
        label=_("Province"),
        max_length=50,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-level1"}),
    )
    city = forms.CharField(label=_("City"), max_length=50, required=False, widget=_autocomplete("address-level2"))
    district = forms.CharField(
        label=_("District"),
        max_length=50,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-level3"}),
    )
    street = forms.CharField(
        label=_("Street address"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    postcode = forms.CharField(
        label=_("Postcode"),
        max_length=6,
        required=False,
        help_text=_("Optional, 6 digits."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "postal-code"}),
    )
    is_default = forms.BooleanField(label=_("Use as my default address"), required=False)

    def address_values(self) -> dict:
        return {name: self.cleaned_data[name] for name in ADDRESS_FIELDS}


ADDRESS_FIELDS = ("recipient", "mobile", "province", "city", "district", "street", "postcode")


def add_service_errors(form: forms.Form, error) -> None:
    """Put an ``ApplicationError``'s per-field messages (``extra["fields"]``) on ``form``'s fields,
    or its message on the form when it names none."""
    fields = error.extra.get("fields") or {}
    placed = False
    for name, field_messages in fields.items():
        if name in form.fields:
            for message in field_messages:
                form.add_error(name, message)
            placed = True
    if not placed:
        form.add_error(None, error.message)


#: The value of the checkout form's address choice that means "the new address typed below".
NEW_ADDRESS = "new"


class CheckoutForm(forms.Form):
    """Where to deliver (one of the buyer's addresses, or a new one typed in), one optional voucher
    choice per shop in the cart (the best claimed voucher preselected), plus a hidden
    Idempotency-Key so a double-submitted form places the orders once."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=255)
    address = forms.CharField(label=_("Deliver to"), required=False, widget=forms.RadioSelect)

    def __init__(self, *args, shops=(), claims=(), addresses=(), best_claims=None, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)
        addresses = list(addresses)
        self.fields["address"].widget.choices = [(str(a.pk), str(a)) for a in addresses] + [
            (NEW_ADDRESS, _("A new address"))
        ]
        default = next((a for a in addresses if a.is_default), addresses[0] if addresses else None)
        self.initial.setdefault("address", str(default.pk) if default else NEW_ADDRESS)
        best_claims = best_claims or {}
        by_shop = {}
        for claim in claims:
            by_shop.setdefault(claim.voucher.shop_id, []).append(claim)
        for shop in shops:
            if shop.pk in best_claims:
                self.initial.setdefault(f"voucher_{shop.pk}", str(best_claims[shop.pk].pk))
            if shop.pk in by_shop:
                choices = [("", _("No voucher"))] + [
                    (
                        str(claim.pk),
                        _("%(voucher)s (save %(discount)s on %(min_spend)s+)")
                        % {
                            "voucher": claim.voucher.title or _("Shop voucher"),
                            "discount": money(claim.voucher.discount),
                            "min_spend": money(claim.voucher.min_spend),
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
        return forms.IntegerField(
            required=False, min_value=1, max_value=MAX_ID, label=label, widget=forms.Select(choices=choices)
        )

    def voucher_claim_ids(self) -> list[int]:
        return [v for name, v in self.cleaned_data.items() if name.startswith("voucher_") and v]

    def clean_address(self):
        value = self.cleaned_data["address"]
        if value and value != NEW_ADDRESS and not positive_int(value):
            raise forms.ValidationError(_("Choose one of your addresses or enter a new one."))
        return value

    def new_address_chosen(self) -> bool:
        return self.cleaned_data.get("address") == NEW_ADDRESS

    def address_id(self) -> int | None:
        value = self.cleaned_data.get("address")
        return positive_int(value) if value else None


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
