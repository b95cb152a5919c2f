"""`{% if actor|may_open:"app:page" %}`: a link shown only to a post the page's own view lets in
(core/menu.py reads the permission the view checks)."""
from django import template

from safetynet.core.menu import may_open as _may_open

register = template.Library()


@register.filter
def may_open(actor, url_name: str) -> bool:
    return _may_open(actor, url_name)
