"""Builders shared by the programs tests: parameters from the catalogue defaults with demo
standards, members and households in one line."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from safetynet.programs.catalogue import default_values
from safetynet.programs.facts import (
    AssetFacts, DibaoParameters, HouseholdFacts, MemberFacts, SpecialHardshipParameters, TemporaryParameters,
)

ON = dt.date(2026, 11, 1)


def dibao_params(rural="720.00", urban="900.00", area="正定县", **overrides) -> DibaoParameters:
    values = {**default_values("dibao"), "rural_standard": None if rural is None else Decimal(rural),
              "urban_standard": None if urban is None else Decimal(urban)}
    values.update({k: (Decimal(v) if isinstance(v, str) and k != "rounding" else v) for k, v in overrides.items()})
    return DibaoParameters.from_values(values, rural_standard_area=area, urban_standard_area=area)


def sh_params(dibao: DibaoParameters | None = None, **overrides) -> SpecialHardshipParameters:
    values = {**default_values("special_hardship"), **{k: Decimal(v) if isinstance(v, str) else v for k, v in overrides.items()}}
    return SpecialHardshipParameters.from_values(values, dibao=dibao or dibao_params())


def temporary_params(standard="720.00", **overrides) -> TemporaryParameters:
    values = {**default_values("temporary"), **{k: Decimal(v) if isinstance(v, str) else v for k, v in overrides.items()}}
    return TemporaryParameters.from_values(values, standard=Decimal(standard), rounding="half_up")


def born(age: int, on: dt.date = ON) -> dt.date:
    """A birth date giving exactly `age` on `on` (born on 1 January, or earlier in the year)."""
    return dt.date(on.year - age, 1, 1) if (on.month, on.day) >= (1, 1) else dt.date(on.year - age - 1, 1, 1)


def member(income="0", age=40, **kw) -> MemberFacts:
    return MemberFacts(birth_date=born(age), monthly_income=Decimal(income), **kw)


def household(*members, urban=False, assets=None, on=ON) -> HouseholdFacts:
    return HouseholdFacts(members=tuple(members), assets=assets or AssetFacts(homes=1), is_urban=urban, on_date=on)
