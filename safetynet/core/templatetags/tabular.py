"""`{{ e.field|field_label }}`: a bad row's field as a person reads it (core/tabular.py)."""
from django import template

from safetynet.core.tabular import field_label as _field_label

register = template.Library()


@register.filter
def field_label(field) -> str:
    return _field_label(field)
