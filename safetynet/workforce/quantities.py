"""Shares of full time and hours of training as people type them: read exactly, never rounded.

`0.5`, `0.50` and `０.５` are half a person; `0.505` is refused (two decimals), as `7.25` hours is
(one decimal), as is an exponent or a thousands separator; the same words for a page, the API
and the demo."""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from safetynet.core.errors import ValidationError
from safetynet.core.text import normalise_text

_PLAIN = re.compile(r"[0-9]+(\.[0-9]*)?|\.[0-9]+")


def parse_quantity(value, *, field: str, places: int, minimum: Decimal, maximum: Decimal,
                   above_minimum: bool = False) -> Decimal:
    """A decimal with at most `places` decimals within [minimum, maximum] (above `minimum` when
    `above_minimum`), or a ValidationError naming `field` and the reason."""
    if isinstance(value, bool) or value is None:
        text = ""
    elif isinstance(value, Decimal):
        text = format(value, "f") if value.is_finite() else str(value)
    elif isinstance(value, (int, float)):
        text = repr(value)
    else:
        text = normalise_text(value).replace(" ", "")
    if not text:
        raise ValidationError(_("A number is required."), field=field, code="required")
    shown = text[:20]
    if not _PLAIN.fullmatch(text):
        raise ValidationError(_("%(value)s is not a number: write digits with a decimal point, e.g. %(example)s.")
                              % {"value": shown, "example": _example(places, maximum)}, field=field, code="invalid_number")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValidationError(_("%(value)s is not a number.") % {"value": shown}, field=field, code="invalid_number")
    step = Decimal(1).scaleb(-places)
    if number != number.quantize(step):
        raise ValidationError(_("%(value)s has more than %(n)d decimals: nothing is rounded.") % {"value": shown, "n": places},
                              field=field, code="too_many_decimals")
    number = number.quantize(step)
    if number < minimum or (above_minimum and number == minimum) or number > maximum:
        low = _("above %(min)s") if above_minimum else _("at least %(min)s")
        raise ValidationError(_("%(value)s is out of range: %(low)s and at most %(max)s.") % {
            "value": shown, "low": low % {"min": minimum}, "max": maximum}, field=field, code="out_of_range")
    return number


def _example(places: int, maximum: Decimal) -> str:
    return f"{maximum / 2:.{places}f}"


SHARE_MAX = Decimal("1.00")
HOURS_MAX = Decimal("200.0")


def parse_share(value, *, field: str = "full_time_share") -> Decimal:
    """A share of full time, 0.00 to 1.00 (half a person: 0.50)."""
    return parse_quantity(value, field=field, places=2, minimum=Decimal("0.00"), maximum=SHARE_MAX)


def parse_hours(value, *, field: str = "hours", maximum: Decimal = HOURS_MAX) -> Decimal:
    """Hours of training, above 0, one decimal."""
    return parse_quantity(value, field=field, places=1, minimum=Decimal("0.0"), maximum=maximum, above_minimum=True)
