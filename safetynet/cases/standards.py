"""The parameters in force for a case, from the programs app (DESIGN.md §4 Rules are data).

One thin place where cases reads `safetynet.programs.selectors.parameters_for` and builds the
typed parameter objects the rule functions take (programs.facts). Nothing here decides
anything: the rules live in `safetynet.programs.rules`.
"""
from __future__ import annotations

import datetime as dt

from django.core.serializers.json import DjangoJSONEncoder

from safetynet.core.jsonvalues import round_trip

from safetynet.programs import selectors
from safetynet.programs.facts import DibaoParameters, SpecialHardshipParameters, TemporaryParameters
from safetynet.programs.selectors import parameters_for


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def values(program_code: str, area_code: str, on_date: dt.date) -> dict:
    """Every parameter of `program_code` in force for `area_code` in the month of `on_date`,
    typed (None where no area set a value and the catalogue has no default)."""
    return parameters_for(program_code, area_code, month_of(on_date))


def dibao_parameters(area_code: str, on_date: dt.date, is_urban: bool) -> DibaoParameters:
    return selectors.dibao_parameters(area_code, month_of(on_date), is_urban=is_urban)


def special_hardship_parameters(area_code: str, on_date: dt.date, is_urban: bool) -> SpecialHardshipParameters:
    return selectors.special_hardship_parameters(area_code, month_of(on_date), is_urban=is_urban)


def temporary_parameters(area_code: str, on_date: dt.date, is_urban: bool) -> TemporaryParameters:
    return selectors.temporary_parameters(area_code, month_of(on_date), is_urban=is_urban)


def jsonable(value):
    """Decimals, dates and translatable phrases as JSON (what a decision stores): the value as a
    round trip through JSON text with `_Encoder` gives it (core/jsonvalues.py)."""
    return round_trip(value, _Encoder)


class _Encoder(DjangoJSONEncoder):
    def default(self, o):
        try:
            return super().default(o)
        except TypeError:
            if hasattr(o, "__dataclass_fields__"):
                from dataclasses import asdict

                return asdict(o)
            return str(o)

