"""Catalogue page forms (seller pages). They parse input only; services validate and write.
Order forms live in ``forms_orders.py``."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from marketplace.models import Category, ProductStatus
from marketplace.services.catalogue import SELLER_STATUSES

IMAGE_ACCEPT = "image/jpeg,image/png,image/webp"


class ShopForm(forms.Form):
    name = forms.CharField(max_length=80, label=_("Shop name"))
    slug = forms.SlugField(
        max_length=80,
        required=False,
        label=_("Web address"),
        help_text=_(
            "Letters, digits and hyphens, e.g. <code>meimei-pearls</code>; it cannot change later. "
            "Leave empty to make one from the name."
        ),
    )
    description = forms.CharField(
        label=_("Description"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    logo = forms.FileField(
        label=_("Logo"),
        required=False,
        widget=forms.FileInput(attrs={"accept": IMAGE_ACCEPT}),
        help_text=_("JPEG, PNG or WebP."),
    )

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["slug"]


class ProductForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.order_by("path"), empty_label=_("Choose a category")
    )
    description = forms.CharField(
        label=_("Description"), max_length=10000, required=False, widget=forms.Textarea(attrs={"rows": 6})
    )
    price = forms.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"), label=_("Price"))
    stock = forms.IntegerField(label=_("Stock"), min_value=0, initial=0)
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[(s.value, s.label) for s in SELLER_STATUSES],
        initial=ProductStatus.DRAFT,
        help_text=_("Only active products are shown to buyers."),
    )

    def __init__(self, *args, creating: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].label_from_instance = lambda c: ("— " * c.path.count("/")) + c.name
        if creating:
            self.fields["status"].choices = [(s.value, s.label) for s in (ProductStatus.DRAFT, ProductStatus.ACTIVE)]


class ImageUploadForm(forms.Form):
    image = forms.FileField(
        widget=forms.FileInput(attrs={"accept": IMAGE_ACCEPT}),
        label=_("Add an image"),
        help_text=_("JPEG, PNG or WebP; the photo is turned upright and its metadata removed."),
    )
