"""Money as the UI shows it (¥1,234.56, UI.md)."""
from django import template

from safetynet.core.money import format_yuan

register = template.Library()


@register.filter
def yuan(value):
    return format_yuan(value) if value not in (None, "") else "—"
