"""The address book: a user's delivery addresses (add, edit, delete, choose the default).

Every rule for an address is here, so the address page, checkout's inline form and the API
refuse the same things with the same words: each field is required except the postcode, a
mainland mobile number is 11 digits starting with 1, a postcode is 6 digits, a book holds at most
:data:`MAX_ADDRESSES`. A refusal is ``ApplicationError`` (``AddressErrorCode.INVALID``) naming its
fields in ``extra["fields"]`` (``{"mobile": ["..."]}``), which the forms show next to the field.

At most one address is the default (a partial unique index); the first address is the default,
and deleting the default makes the most recently changed other address the default. Orders copy
the address they were placed with (``Order.shipping_address``), so nothing here changes them.
"""

import re

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from marketplace.errors import AddressErrorCode
from marketplace.models import Address

#: The most addresses one user may keep.
MAX_ADDRESSES = 20
#: A mainland China mobile number: 11 digits, the first is 1.
MOBILE_RE = re.compile(r"^1\d{10}$")
POSTCODE_RE = re.compile(r"^\d{6}$")
#: The fields an address is made of, in form order.
FIELDS = ("recipient", "mobile", "province", "city", "district", "street", "postcode")
_REQUIRED = ("recipient", "mobile", "province", "city", "district", "street")
_SEPARATORS = re.compile(r"[\s\-]")


def _field_label(name: str) -> str:
    return str(Address._meta.get_field(name).verbose_name)


def _clean(values: dict) -> dict:
    """Strip the values and check them; raise with every field's problem at once."""
    data = {name: str(values.get(name) or "").strip() for name in FIELDS}
    data["mobile"] = _SEPARATORS.sub("", data["mobile"])  # "138 0013 8000" and "138-0013-8000" are fine
    if data["mobile"].startswith("+86"):
        data["mobile"] = data["mobile"][3:]
    problems: dict[str, list[str]] = {}
    for name in _REQUIRED:
        if not data[name]:
            problems[name] = [_("Enter the %(field)s.") % {"field": _field_label(name)}]
    for name in ("recipient", "province", "city", "district", "street"):  # mobile, postcode: by pattern
        limit = Address._meta.get_field(name).max_length
        if len(data[name]) > limit and name not in problems:
            problems[name] = [
                _("The %(field)s can be at most %(limit)s characters.") % {"field": _field_label(name), "limit": limit}
            ]
    if data["mobile"] and "mobile" not in problems and not MOBILE_RE.match(data["mobile"]):
        problems["mobile"] = [_("Enter a mainland mobile number: 11 digits starting with 1, e.g. 13800138000.")]
    if data["postcode"] and not POSTCODE_RE.match(data["postcode"]):
        problems["postcode"] = [_("A postcode is 6 digits, e.g. 200000 (or leave it empty).")]
    if problems:
        first = next(iter(problems.values()))[0]
        raise ApplicationError(first, code=AddressErrorCode.INVALID, extra={"fields": problems})
    return data


def address_not_found() -> ApplicationError:
    """The refusal for an address id that is not in the user's book (404 ``not_found``)."""
    return ApplicationError(_("That address is not in your address book."), status=404, code=AddressErrorCode.NOT_FOUND)


def _make_default(address: Address) -> None:
    Address.objects.filter(user_id=address.user_id, is_default=True).exclude(pk=address.pk).update(is_default=False)
    if not address.is_default:
        address.is_default = True
        address.save(update_fields=["is_default", "updated_at"])


@transaction.atomic
def address_create(*, user, is_default: bool = False, **values) -> Address:
    """Add an address to ``user``'s book (the first one becomes the default). An address the
    user already has, field for field, is returned instead of a copy (a double-submitted
    checkout form adds it once)."""
    data = _clean(values)
    # The user's rows are taken in one order (user's addresses, locked): two concurrent adds
    # cannot both become "the first" default or pass the limit together.
    book = list(Address.objects.select_for_update().filter(user=user).order_by("pk"))
    for existing in book:
        if all(getattr(existing, name) == data[name] for name in FIELDS):
            if is_default:
                _make_default(existing)
            return existing
    if len(book) >= MAX_ADDRESSES:
        raise ApplicationError(
            _("Your address book is full (%(count)s addresses): delete one first.") % {"count": MAX_ADDRESSES},
            code=AddressErrorCode.TOO_MANY,
        )
    if is_default or not book:
        Address.objects.filter(user=user, is_default=True).update(is_default=False)
    return Address.objects.create(user=user, is_default=is_default or not book, **data)


@transaction.atomic
def address_update(*, user, address_id: int, is_default: bool | None = None, **values) -> Address:
    """Change one of ``user``'s addresses (every field is given again, as a form sends them);
    ``is_default=True`` also makes it the default. Orders placed with it keep their copy."""
    address = Address.objects.select_for_update().filter(user=user, pk=address_id).first()
    if address is None:
        raise address_not_found()
    data = _clean(values)
    for name, value in data.items():
        setattr(address, name, value)
    address.save(update_fields=[*FIELDS, "updated_at"])
    if is_default:
        _make_default(address)
    return address


@transaction.atomic
def address_set_default(*, user, address_id: int) -> Address:
    """Make one of ``user``'s addresses the default (the old default stops being one)."""
    address = Address.objects.select_for_update().filter(user=user, pk=address_id).first()
    if address is None:
        raise address_not_found()
    _make_default(address)
    return address


@transaction.atomic
def address_delete(*, user, address_id: int) -> None:
    """Delete one of ``user``'s addresses; if it was the default, the most recently changed
    remaining address becomes the default. Placed orders keep their copy."""
    address = Address.objects.select_for_update().filter(user=user, pk=address_id).first()
    if address is None:
        raise address_not_found()
    address.delete()
    if address.is_default:
        successor = Address.objects.filter(user=user).order_by("-updated_at", "-id").first()
        if successor is not None:
            _make_default(successor)
