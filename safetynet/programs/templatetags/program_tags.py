"""`{{ code|program_name }}`: a program's name in the page's language, from its code
(programs/catalogue.py), where a page has only the code."""
from django import template

from safetynet.programs.catalogue import program_name as _program_name

register = template.Library()


@register.filter
def program_name(code) -> str:
    return _program_name(str(code or ""))
