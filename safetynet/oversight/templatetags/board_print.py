"""`{{ rows|in_pairs }}`: a printed roster two entries a line, so a village of 300 recipients
fits half the pages (and prints in half the table rows)."""
from django import template

register = template.Library()


@register.filter
def in_pairs(rows) -> list[list]:
    rows = list(rows)
    return [rows[i:i + 2] for i in range(0, len(rows), 2)]
