"""The parameters in force for a case, from the programs app (DESIGN.md §4 Rules are data).

One thin place where cases reads `safetynet.programs.selectors.parameters_for` and builds the
typed parameter objects the rule functions take (programs.facts). Nothing here decides
anything: the rules live in `safetynet.programs.rules`.
"""
from __future__ import annotations

import datetime as dt
import json

from django.core.serializers.json import DjangoJSONEncoder

from safetynet.programs.facts import DibaoParameters, SpecialHardshipParameters, TemporaryParameters


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def values(program_code: str, area_code: str, on_date: dt.date) -> dict:
    """Every parameter of `program_code` in force for `area_code` in the month of `on_date`,
    typed (None where no area set a value and the catalogue has no default)."""
    from safetynet.programs.selectors import parameters_for

    return parameters_for(program_code, area_code, month_of(on_date))


def dibao_parameters(area_code: str, on_date: dt.date, is_urban: bool) -> DibaoParameters:
    from safetynet.programs import selectors

    return selectors.dibao_parameters(area_code, month_of(on_date), is_urban=is_urban)


def special_hardship_parameters(area_code: str, on_date: dt.date, is_urban: bool) -> SpecialHardshipParameters:
    from safetynet.programs import selectors

    return selectors.special_hardship_parameters(area_code, month_of(on_date), is_urban=is_urban)


def temporary_parameters(area_code: str, on_date: dt.date, is_urban: bool) -> TemporaryParameters:
    from safetynet.programs import selectors

    return selectors.temporary_parameters(area_code, month_of(on_date), is_urban=is_urban)


def jsonable(value):
    """Decimals, dates and translatable phrases as JSON (what a decision stores): exactly what a
    round trip through JSON text with `_Encoder` gives, built without the text where the value
    is made of dicts, lists and leaves the encoder knows (every opinion and confirmation stores
    one, and re-standardising a county stores thousands)."""
    try:
        return _plain(value)
    except _Unusual:
        return json.loads(json.dumps(value, cls=_Encoder, ensure_ascii=False))


class _Unusual(Exception):
    """A value whose JSON text would not read back as `_plain` builds it: take the round trip."""


def _plain(value):
    kind = type(value)
    if kind is str or kind is int or kind is bool or kind is float or value is None:
        return value
    if kind is dict:
        plain = {}
        for key, item in value.items():
            if type(key) is not str:          # JSON turns other keys into text its own way
                raise _Unusual
            plain[key] = _plain(item)
        return plain
    if kind is list or kind is tuple:
        return [_plain(item) for item in value]
    if isinstance(value, (str, int, float, dict, list, tuple)):    # subclasses: enums, OrderedDict...
        raise _Unusual
    return _plain(_ENCODER.default(value))   # Decimal, date, datetime, Phrase, dataclass: as the encoder does


class _Encoder(DjangoJSONEncoder):
    def default(self, o):
        try:
            return super().default(o)
        except TypeError:
            if hasattr(o, "__dataclass_fields__"):
                from dataclasses import asdict

                return asdict(o)
            return str(o)


_ENCODER = _Encoder()
