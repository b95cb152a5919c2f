"""From verified totals to a household assessment (POLICY.md §1, §5).

The verified figures — what counts of what the departments found beside what the household
declared — are computed in the engine's Ibis expressions (expressions.household_totals_expr),
the same on DuckDB and Spark. This module takes them, builds `programs.facts.HouseholdFacts`
and calls `programs.rules.assess_dibao`: the thresholds (the standard, the financial-asset limit,
homes, non-residential property, vehicles, businesses) are the rule's, never repeated here. The
flags are read off the rule's outcome:

- `income_over_standard`: per-capita counted income not below the standard (the rule's own
  figures, the comparison `rules.assess_gradual_exit` makes);
- `financial_assets_over_limit`, `more_than_one_home`, `non_residential_property`, `vehicle`,
  `business`: the rule's reasons for each asset limit exceeded (MLG-2021 art. 14);

and two facts that need no threshold:

- `member_deceased`: public security reports the death of a member the registry lists as alive;
- `undeclared_wages`: wages found (net, monthly) above the wages the household declared.

Special hardship uses the same income and asset limits (SH-2021 art. 6), so one assessment
serves both programs.

What counts (MLG-2021 art. 13–14, POLICY.md §1; expressions.py computes it): wages net of social
contributions, pensions and unemployment benefit; the central basic pension for residents is
found and shown but not counted. For each category a department covers the verified figure is
the larger of what was declared and what was found: verification finds what a household left
out; it does not erase what the household declared (work paid in cash, a car registered
elsewhere). Categories no department covers (business income, support from relatives, funds,
claims...) stay as declared. Income found for a member who died is not counted; his assets
still belong to the household.

Pure: no database, no clock. engine.py feeds it rows from DuckDB (or Spark); tests feed it by hand.
"""
from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from decimal import Decimal

from safetynet.programs import rules
from safetynet.programs.facts import AssetFacts, DibaoParameters, HouseholdFacts, MemberFacts

ZERO = Decimal("0.00")

INCOME_OVER_STANDARD = "income_over_standard"
FINANCIAL_OVER_LIMIT = "financial_assets_over_limit"
MORE_THAN_ONE_HOME = "more_than_one_home"
NON_RESIDENTIAL = "non_residential_property"
VEHICLE = "vehicle"
BUSINESS = "business"
MEMBER_DECEASED = "member_deceased"
UNDECLARED_WAGES = "undeclared_wages"
FLAGS = (INCOME_OVER_STANDARD, FINANCIAL_OVER_LIMIT, MORE_THAN_ONE_HOME, NON_RESIDENTIAL, VEHICLE, BUSINESS,
         MEMBER_DECEASED, UNDECLARED_WAGES)

# The rule's reason for each asset limit, and the flag it raises.
_ASSET_REASON_FLAGS = {
    rules.X_FINANCIAL: FINANCIAL_OVER_LIMIT,
    rules.X_HOMES: MORE_THAN_ONE_HOME,
    rules.X_NON_RESIDENTIAL: NON_RESIDENTIAL,
    rules.X_VEHICLES: VEHICLE,
    rules.X_BUSINESSES: BUSINESS,
}

FINANCIAL = ("deposit", "securities", "insurance")


@dataclass(frozen=True)
class MemberTotals:
    """A living member: the facts the rule needs, and the income found for him (counted kinds)."""

    person_id: int
    birth_date: dt.date
    disability_type: str = ""
    disability_grade: int | None = None
    serious_illness: bool = False
    income: Decimal = ZERO          # found, monthly: wages net, pensions, unemployment benefit
    name: str = ""


@dataclass(frozen=True)
class HouseholdTotals:
    """A household's verified figures (expressions.household_totals_expr)."""

    household_id: int
    area_code: str
    is_urban: bool
    members: tuple[MemberTotals, ...]            # living members
    counted_income: Decimal = ZERO               # verified, monthly, counted kinds only
    income: dict = field(default_factory=dict)   # {category: verified monthly amount}
    financial: Decimal = ZERO
    assets: dict = field(default_factory=dict)   # {category: verified value or count}
    homes: int = 0
    non_residential: int = 0
    vehicles: int = 0
    exempt_vehicles: int = 0
    businesses: int = 0
    deceased: int = 0                            # reported dead, alive in the registry
    found_wages: Decimal = ZERO
    declared_wages: Decimal = ZERO
    chunk: int = 0


@dataclass
class HouseholdAssessment:
    household_id: int
    area_code: str
    chunk: int
    members: int
    deceased: int
    counted_income: Decimal
    per_capita_income: Decimal
    income: dict
    found_wages: Decimal
    declared_wages: Decimal
    financial_assets: Decimal
    assets: dict
    homes: int
    non_residential: int
    vehicles: int
    businesses: int
    flags: list
    eligible: bool
    amount: Decimal
    rule: dict

    @property
    def flagged(self) -> bool:
        return bool(self.flags)


def member_facts(members, counted_income: Decimal) -> tuple[MemberFacts, ...]:
    """The rule's members: each with the income found for him; what the household counts beyond
    that (declared income no department covers, declared more than found) goes to the first, as
    the gap method only sums it (MLG-2021 art. 23)."""
    rest = counted_income - sum((m.income for m in members), ZERO)
    return tuple(MemberFacts(birth_date=m.birth_date, monthly_income=m.income + rest if i == 0 else m.income,
                             disability_type=m.disability_type or "", disability_grade=m.disability_grade,
                             serious_illness=bool(m.serious_illness), person_id=m.person_id, name=m.name)
                 for i, m in enumerate(members))


def assess_verified(members: tuple[MemberFacts, ...], assets: AssetFacts, *, is_urban: bool, on_date: dt.date,
                    params: DibaoParameters | None, deceased: int, undeclared_wages: bool):
    """(flags, outcome or None): the dibao rule on verified facts, and the flags (module docstring)."""
    flags = []
    outcome = None
    if params is not None and members:
        outcome = rules.assess_dibao(HouseholdFacts(members=members, assets=assets, is_urban=is_urban, on_date=on_date), params)
        details = outcome.details
        standard = details.get("standard")
        if standard is not None and details.get("per_capita_income", ZERO) >= standard:
            flags.append(INCOME_OVER_STANDARD)
        for reason in outcome.reasons:
            flag = _ASSET_REASON_FLAGS.get(getattr(reason, "msgid", None))
            if flag:
                flags.append(flag)
    if deceased:
        flags.append(MEMBER_DECEASED)
    if undeclared_wages:
        flags.append(UNDECLARED_WAGES)
    if len(flags) > 1:
        flags.sort(key=FLAGS.index)
    return flags, outcome


def rule_summary(params: DibaoParameters | None, *, is_urban: bool, size: int, month: dt.date, outcome=None,
                 error: str = "") -> dict:
    """The rule applied, as stored with the result: program, standard and limits in force. The
    same dict object for the same figures (households of one area and size share it): treat it
    as read-only."""
    limit = (outcome.details if outcome is not None else {}).get("financial_limit")
    return _rule_summary(params, is_urban, size, month.replace(day=1), limit, error)


@functools.lru_cache(maxsize=4096)
def _rule_summary(params, is_urban: bool, size: int, month: dt.date, limit, error: str) -> dict:
    if params is None:
        return {"program": "dibao", "section": rules.DIBAO_SECTION, "month": month.strftime("%Y-%m"), "error": error}
    standard = params.standard_for(is_urban)
    return {
        "program": "dibao", "section": rules.DIBAO_SECTION, "month": month.strftime("%Y-%m"),
        "is_urban": is_urban, "standard": None if standard is None else f"{standard:.2f}",
        "standard_area": params.standard_area_for(is_urban), "members": size,
        "financial_limit": None if limit is None else f"{limit:.2f}",
        "max_homes": params.max_homes, "max_non_residential_properties": params.max_non_residential_properties,
        "max_vehicles": params.max_vehicles, "max_businesses": params.max_businesses,
    }


def assess_household(totals: HouseholdTotals, params: DibaoParameters | None, on_date: dt.date, *,
                     params_error: str = "") -> HouseholdAssessment:
    """The dibao rule's outcome on the household's verified figures, and the flags. `params`
    None (no standard set for the area: `params_error` says why) still yields the facts and the
    two flags that need no threshold."""
    members = member_facts(totals.members, totals.counted_income)
    assets = AssetFacts(financial=totals.financial, homes=totals.homes, non_residential_properties=totals.non_residential,
                        vehicles=totals.vehicles, exempt_vehicles=totals.exempt_vehicles, businesses=totals.businesses)
    flags, outcome = assess_verified(members, assets, is_urban=totals.is_urban, on_date=on_date, params=params,
                                     deceased=totals.deceased,
                                     undeclared_wages=totals.found_wages > totals.declared_wages)
    details = outcome.details if outcome is not None else {}
    return HouseholdAssessment(
        household_id=totals.household_id, area_code=totals.area_code, chunk=totals.chunk, members=len(members),
        deceased=totals.deceased, counted_income=totals.counted_income,
        per_capita_income=details.get("per_capita_income", ZERO), income=totals.income, found_wages=totals.found_wages,
        declared_wages=totals.declared_wages, financial_assets=totals.financial, assets=totals.assets,
        homes=totals.homes, non_residential=totals.non_residential, vehicles=totals.vehicles,
        businesses=totals.businesses, flags=flags, eligible=bool(outcome and outcome.eligible),
        amount=outcome.monthly_amount if outcome is not None else ZERO,
        rule=rule_summary(params, is_urban=totals.is_urban, size=len(members), month=on_date, outcome=outcome,
                          error=params_error),
    )
