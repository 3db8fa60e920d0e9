"""Product browsing parameters, parsed once for the pages and the API (django-filter).

The FilterSet only parses and validates; the filtering itself is the selector
:func:`marketplace.selectors.catalogue.product_filter`.
"""

import copy
from decimal import Decimal
from urllib.parse import urlencode

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from marketplace.models import Category, Product
from marketplace.selectors.catalogue import ORDERINGS, product_filter

#: Query parameters that change a product list (cache keys are built from these only).
PARAMS = ("q", "category", "shop", "min_price", "max_price", "in_stock", "on_sale", "ordering", "page")
#: Older names still accepted: ``?search=`` is ``?q=`` (when ``q`` is absent).
ALIASES = {"search": "q"}


def param(query, name: str, default=None):
    """``query.get(name, default)`` — the last value of parameter ``name``, ``default`` when it
    is absent or has no value — without an exception for an absent one: ``MultiValueDict.get``
    raises and catches two (``KeyError``, ``MultiValueDictKeyError``) per absent name, ~0.5 µs,
    and a search page asked for ~18 absent parameters."""
    if isinstance(query, MultiValueDict):
        values = dict.get(query, name)
        return values[-1] if values else default
    return query.get(name, default)


def with_aliases(query):
    """``query`` (a QueryDict) with aliased parameters under their current names."""
    renamed = {new: old for old, new in ALIASES.items() if param(query, old) and not param(query, new)}
    if not renamed:
        return query
    query = query.copy()
    for new, old in renamed.items():
        query[new] = query[old]
    return query


class StockCheckbox(forms.CheckboxInput):
    """A checkbox that also reads ``true|false|1|0`` (``in_stock``, ``on_sale``) from API query strings."""

    def value_from_datadict(self, data, files, name):
        value = data.get(name)
        return isinstance(value, str) and value.lower() in ("on", "true", "1", "yes")


class SharedFields(dict):
    """A form class's fields that its forms share instead of each deep-copying them (Django's
    ``BaseForm.__init__`` copies ``base_fields`` so that a form may change its own fields; ~0.4 ms
    per filter form, ten fields with widgets, validators and the category queryset). Safe while
    nothing changes a field or widget after the class is made: the filter form's fields are
    only read (cleaning, rendering; the category choices iterate a fresh query each time)."""

    def __deepcopy__(self, memo):
        return dict(self)


class ProductFilterForm(forms.Form):
    """The filter form's base: cleans its fields without making a bound field for each (Django's
    ``_clean_fields`` does, and each evaluates its lazily translated label and help text: ~0.25
    of the 0.35 ms a search page spent validating ten mostly empty parameters). The same steps
    otherwise — each widget's value, the field's ``clean``, errors added per field — which is all
    Django's does for a form like this one: no disabled or file fields, no ``clean_<name>``
    methods (a test compares both on valid and invalid parameters)."""

    def __init__(self, *args, **kwargs):
        # Django's form translates its label suffix (":") as it is made: a gettext per request
        # for a suffix shown only when the form is rendered (a cached sidebar: seldom). Lazily
        # translated, it is the same text wherever it shows.
        kwargs.setdefault("label_suffix", _(":"))
        super().__init__(*args, **kwargs)

    def _clean_fields(self):
        absent = type(self).__dict__.get("_absent")
        if absent is None:
            absent = type(self)._absent = self._absent_values()
        for name, field in self.fields.items():
            key = self.add_prefix(name)
            if name in absent and key not in self.data:  # most of a search's parameters
                self.cleaned_data[name] = absent[name]
                continue
            value = field.widget.value_from_datadict(self.data, self.files, key)
            try:
                self.cleaned_data[name] = field.clean(value)
            except ValidationError as error:
                self.add_error(name, error)

    def _absent_values(self) -> dict:
        """What each field cleans to when its parameter is not given, per form class (its fields
        are shared: :class:`SharedFields`): a search gives one or two of its ten parameters, and
        cleaning the others cost ~25 µs a page. Only for widgets that read their own parameter
        alone, and fields that clean an absent value without an error."""
        values = {}
        for name, field in self.fields.items():
            reads = type(field.widget).value_from_datadict
            if reads not in _OWN_PARAMETER or getattr(field.widget, "allow_multiple_selected", False):
                continue
            try:
                values[name] = field.clean(field.widget.value_from_datadict(QueryDict(), None, name))
            except ValidationError:
                continue
        return values


#: Widgets' ``value_from_datadict`` that read their own parameter alone (``data.get(name)``).
_OWN_PARAMETER = {
    forms.Widget.value_from_datadict,
    forms.widgets.ChoiceWidget.value_from_datadict,
    StockCheckbox.value_from_datadict,
}


class ProductFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        max_length=100,
        help_text=_(
            "Words (Chinese or English) that must each match the title, description, category or shop name. "
            "Also accepted as `search`."
        ),
    )
    search = django_filters.CharFilter(
        label=_("Search"), max_length=100, help_text=_("The older name of `q`, still accepted (`q` wins).")
    )
    category = django_filters.ModelChoiceFilter(
        queryset=Category.objects.order_by("path"),
        to_field_name="slug",
        empty_label=_("All categories"),
        help_text=_("A category slug; includes its sub-categories."),
    )
    shop = django_filters.CharFilter(label=_("Shop"), max_length=80, help_text=_("A shop slug."))
    min_price = django_filters.NumberFilter(
        label=_("Min price"), min_value=Decimal("0"), help_text=_("On the effective (sale) price.")
    )
    max_price = django_filters.NumberFilter(
        label=_("Max price"), min_value=Decimal("0"), help_text=_("On the effective (sale) price.")
    )
    in_stock = django_filters.BooleanFilter(label=_("In stock only"), widget=StockCheckbox)
    on_sale = django_filters.BooleanFilter(
        label=_("In a sale now"), widget=StockCheckbox, help_text=_("Only products with a live deal.")
    )
    ordering = django_filters.ChoiceFilter(
        label=_("Sort by"),
        choices=list(ORDERINGS.items()),
        empty_label=None,
        help_text=_("relevance (with a search; otherwise newest), newest, price, -price, best_selling."),
    )

    class Meta:
        model = Product
        fields = []
        form = ProductFilterForm

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        # django-filter's __init__ less its deep copy of every filter per instance (~0.4 ms a
        # search page): this FilterSet only parses, its filters are copied when first asked for.
        data = with_aliases(data) if data is not None else None
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = queryset if queryset is not None else self._meta.model._default_manager.all()
        self.request = request
        self.form_prefix = prefix

    @cached_property
    def filters(self):
        filters = copy.deepcopy(self.base_filters)
        for filter_ in filters.values():
            filter_.model = self.queryset.model
            filter_.parent = self
        return filters

    def get_form_class(self):
        """The form class, made once per process: django-filter makes a new class per filterset
        (a type and every field built again: ~0.3 ms a search page); ours depends on nothing of
        the request (the category choices are a queryset, evaluated per form). Its forms share
        their fields (:class:`SharedFields`)."""
        form_class = type(self).__dict__.get("_form_class")
        if form_class is None:
            form_class = super().get_form_class()
            form_class.base_fields = SharedFields(form_class.base_fields)
            type(self)._form_class = form_class
        return form_class

    def product_filters(self) -> dict:
        """The valid parameters as :func:`~marketplace.selectors.catalogue.product_filter`'s
        keyword arguments (an invalid one is left out, as if not given)."""
        self.errors  # noqa: B018 - validates the form (cleaned_data) once
        data = self.form.cleaned_data
        return {
            "search": data.get("q") or "",
            "category": data.get("category"),
            "shop": data.get("shop") or "",
            "min_price": data.get("min_price"),
            "max_price": data.get("max_price"),
            "in_stock": data.get("in_stock"),
            "on_sale": data.get("on_sale"),
            "ordering": data.get("ordering") or "",
        }

    def filter_queryset(self, queryset):
        return product_filter(queryset, **self.product_filters())


def list_params(query) -> str:
    """A canonical query string of the browsing parameters in ``query`` (a QueryDict)."""
    query = with_aliases(query)
    given = ((key, param(query, key, "")) for key in PARAMS)
    return urlencode(sorted((key, value) for key, value in given if value != ""))
