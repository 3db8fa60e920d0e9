"""Page forms: they parse what a person typed; the services decide what is allowed."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from core.ids import positive_int
from headline.services.stories import MAX_IMAGES


class MultipleImageInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    """Several files from one ``<input type=file multiple>`` (Django's documented recipe)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleImageInput(attrs={"accept": "image/jpeg,image/png,image/webp"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleImageField, self).clean(item, initial) for item in data if item]
        return [super().clean(data, initial)] if data else []


_PRODUCT = re.compile(r"(?:/products/)?(\d+)/?$")
_SHOP = re.compile(r"(?:/shops/)?([-a-zA-Z0-9_]+)/?$")


def _split(value: str) -> list[str]:
    return [part.strip() for part in re.split(r"[\s,，]+", value or "") if part.strip()]


class StoryForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    body = forms.CharField(
        label=_("Your story"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("Markdown: **bold**, *italic*, [links](https://…), lists and quotes."),
    )
    topic = forms.TypedChoiceField(label=_("Topic"), required=False, coerce=int, empty_value=None)
    products = forms.CharField(
        label=_("Products you mention"),
        required=False,
        help_text=_("Product links or numbers, separated by spaces, e.g. /products/12/"),
    )
    shops = forms.CharField(
        label=_("Shops you mention"),
        required=False,
        help_text=_("Shop links or names from their address, e.g. /shops/meimei-pearls/"),
    )
    images = MultipleImageField(
        label=_("Pictures"), required=False, help_text=_("Up to %(n)d JPEG, PNG or WebP images.") % {"n": MAX_IMAGES}
    )

    def __init__(self, *args, topics=(), with_images=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topic"].choices = [("", _("No topic"))] + [(t.pk, f"{t.date:%m-%d} · {t.title}") for t in topics]
        if not with_images:
            del self.fields["images"]

    def clean_products(self):
        ids = []
        for part in _split(self.cleaned_data["products"]):
            match = _PRODUCT.search(part)
            product_id = positive_int(match.group(1)) if match else None
            if product_id is None:
                raise forms.ValidationError(_("“%(part)s” is not a product link or number.") % {"part": part})
            ids.append(product_id)
        return ids

    def clean_shops(self):
        slugs = []
        for part in _split(self.cleaned_data["shops"]):
            match = _SHOP.search(part)
            if not match:
                raise forms.ValidationError(_("“%(part)s” is not a shop link.") % {"part": part})
            slugs.append(match.group(1))
        return slugs

    def clean_images(self):
        images = self.cleaned_data.get("images") or []
        if len(images) > MAX_IMAGES:
            raise forms.ValidationError(_("At most %(n)d pictures.") % {"n": MAX_IMAGES})
        return images


class CommentForm(forms.Form):
    body = forms.CharField(label=_("Comment"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)
