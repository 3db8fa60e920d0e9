"""``{% load slots %}{% slot "page.place" name=value ... %}``: where a page lets other apps in
(core/slots.py). Pass the objects shared contributions need and the plain values (ids, slugs,
names) per-request contributions get."""

from django import template

from core.slots import render_slot

register = template.Library()


@register.simple_tag(name="slot")
def slot_tag(name: str, **values):
    return render_slot(name, values)
