"""The address book pages: list, add, edit, delete, make default. Thin: a form for the input's
shape, the address service for the rules (its refusals go next to their fields)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import ApplicationError
from marketplace.forms_orders import ADDRESS_FIELDS, AddressForm, add_service_errors
from marketplace.selectors import addresses as selectors
from marketplace.services import addresses as services


@login_required
def address_list(request):
    addresses = selectors.address_list_for_user(user=request.user)
    return render(
        request,
        "marketplace/address_list.html",
        {"addresses": addresses, "max_addresses": services.MAX_ADDRESSES},
    )


@login_required
def address_create(request):
    form = AddressForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.address_create(
                user=request.user, is_default=form.cleaned_data["is_default"], **form.address_values()
            )
        except ApplicationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Address saved."))
            return redirect("marketplace:addresses")
    return render(request, "marketplace/address_form.html", {"form": form, "is_new": True})


@login_required
def address_edit(request, pk: int):
    address = selectors.address_get_for_user(user=request.user, address_id=pk)
    if address is None:
        raise Http404(_("That address is not in your address book."))
    initial = {name: getattr(address, name) for name in ADDRESS_FIELDS} | {"is_default": address.is_default}
    form = AddressForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.address_update(
                user=request.user,
                address_id=address.pk,
                is_default=form.cleaned_data["is_default"],
                **form.address_values(),
            )
        except ApplicationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Address saved. Orders already placed keep the address they were placed with."))
            return redirect("marketplace:addresses")
    return render(request, "marketplace/address_form.html", {"form": form, "is_new": False, "address": address})


@login_required
@require_POST
def address_delete(request, pk: int):
    try:
        services.address_delete(user=request.user, address_id=pk)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Address deleted."))
    return redirect("marketplace:addresses")


@login_required
@require_POST
def address_default(request, pk: int):
    try:
        services.address_set_default(user=request.user, address_id=pk)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Default address changed."))
    return redirect("marketplace:addresses")
