"""The shared form-field template (templates/form_fields.html): every id an input's
``aria-describedby`` names (Django 5.2 points at ``<id>_helptext`` and ``<id>_error``) is on the
page, so screen readers read the help text and the errors with the field."""

from html.parser import HTMLParser

import pytest
from django import forms
from django.template.loader import render_to_string


class DescribedBy(HTMLParser):
    def __init__(self, html: str):
        super().__init__()
        self.ids: set[str] = set()
        self.references: dict[str, list[str]] = {}
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if attrs.get("aria-describedby"):
            self.references[attrs.get("name", tag)] = attrs["aria-describedby"].split()


class ShopForm(forms.Form):
    name = forms.CharField(help_text="Shown on every product.", max_length=5)
    slug = forms.SlugField(help_text="Your shop's address.")
    bio = forms.CharField(required=False)


@pytest.mark.parametrize(
    ("data", "described"),
    [
        (None, {"name": ["id_name_helptext"], "slug": ["id_slug_helptext"]}),
        (
            {"name": "far too long", "slug": "ok", "bio": ""},
            {"name": ["id_name_helptext", "id_name_error"], "slug": ["id_slug_helptext"]},
        ),
    ],
)
def test_every_described_by_id_exists(data, described):
    # given a form with help texts, unbound or with an error
    form = ShopForm(data)
    form.is_valid()
    # when the shared template renders it
    page = DescribedBy(render_to_string("form_fields.html", {"form": form}))
    # then the inputs point at help text and errors, and each of those ids is on the page
    assert page.references == described
    assert {ref for refs in page.references.values() for ref in refs} <= page.ids


@pytest.mark.django_db
def test_a_real_form_page_points_at_existing_ids(client):
    from tests.marketplace.factories import ShopFactory

    shop = ShopFactory()
    client.force_login(shop.owner)
    response = client.post("/sell/products/new/", {"title": "", "price": "-1"})
    page = DescribedBy(response.content.decode())
    assert response.status_code == 200
    assert page.references, "the product form names no help text or error"
    missing = {name: refs for name, refs in page.references.items() if not set(refs) <= page.ids}
    assert missing == {}
