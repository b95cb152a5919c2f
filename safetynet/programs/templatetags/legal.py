"""`{{ reference|legal_basis }}`: an internal rule reference as the regulation's own name and
article in the page's language (programs/legal.py)."""
from django import template

from safetynet.programs.legal import readable

register = template.Library()


@register.filter
def legal_basis(value) -> str:
    return readable(value)
