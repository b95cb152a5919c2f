"""`{{ share|percent }}`: a rate or share kept as a fraction (0.7000) as people read it (70%),
every decimal it has kept, none invented."""
from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()


@register.filter
def percent(value) -> str:
    if value in (None, ""):
        return "—"
    try:
        number = Decimal(str(value)) * 100
    except (InvalidOperation, ValueError):
        return str(value)
    return f"{number.normalize():f}%"
