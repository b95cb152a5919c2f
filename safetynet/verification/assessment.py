"""From what the departments report to a household assessment (POLICY.md §1, §5).

`assess_household` takes a household's totals — what was found, per member and per category,
beside what the household declared — and the dibao parameters in force for its area, builds
`programs.facts.HouseholdFacts` and calls `programs.rules.assess_dibao`: the thresholds (the
standard, the financial-asset limit, homes, non-residential property, vehicles, businesses) are
the rule's, never repeated here. The flags are read off the rule's outcome:

- `income_over_standard`: per-capita counted income not below the standard (the rule's own
  figures, the comparison `rules.assess_gradual_exit` makes);
- `financial_assets_over_limit`, `more_than_one_home`, `non_residential_property`, `vehicle`,
  `business`: the rule's reasons for each asset limit exceeded (MLG-2021 art. 14);

and two facts that need no threshold:

- `member_deceased`: public security reports the death of a member the registry lists as alive;
- `undeclared_wages`: wages found (net, monthly) above the wages the household declared.

Special hardship uses the same income and asset limits (SH-2021 art. 6), so one assessment
serves both programs.

What counts (MLG-2021 art. 13–14, POLICY.md §1): wages net of social contributions, pensions
and unemployment benefit; the central basic pension for residents is found and shown but not
counted. For each category a department covers (wages, pensions, unemployment, deposits,
securities, insurance, homes, non-residential property, vehicles, businesses) the verified
figure is the larger of what was declared and what was found: verification finds what a
household left out; it does not erase what the household itself declared (work paid in cash,
a car registered elsewhere). Categories no department covers (business income, support from
relatives, funds, claims...) stay as declared. Income found for a member who died is not
counted; his assets still belong to the household.

Pure: no database, no clock. engine.py feeds it rows from DuckDB (or Spark); tests feed it by hand.
"""
from __future__ import annotations

import datetime as dt
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

# Income categories departments report (registry.IncomeCategory values) and the found item that feeds each.
COUNTED_INCOME = ("wages", "pension", "unemployment")
FINANCIAL = ("deposit", "securities", "insurance")
COUNTS = ("home", "non_residential", "vehicle", "mobility_vehicle", "business")


@dataclass(frozen=True)
class MemberTotals:
    person_id: int
    birth_date: dt.date
    disability_type: str = ""
    disability_grade: int | None = None
    serious_illness: bool = False
    registry_deceased: bool = False
    found_dead: bool = False
    wages: Decimal = ZERO           # found, monthly, net
    pension: Decimal = ZERO         # found, counted kinds
    unemployment: Decimal = ZERO
    excluded_pension: Decimal = ZERO  # found, not counted (central basic pension for residents)
    name: str = ""

    @property
    def living(self) -> bool:
        return not (self.registry_deceased or self.found_dead)


@dataclass(frozen=True)
class HouseholdTotals:
    household_id: int
    area_code: str
    is_urban: bool
    members: tuple[MemberTotals, ...]
    found: dict = field(default_factory=dict)      # deposit, securities, insurance (values); home, non_residential, vehicle, mobility_vehicle, business (counts)
    declared: dict = field(default_factory=dict)   # wages, pension, unemployment, other_income, deposit, ..., other_financial; counts
    chunk: int = 0


@dataclass
class HouseholdAssessment:
    household_id: int
    area_code: str
    chunk: int
    members: int                     # living members assessed
    deceased: int                    # members reported dead whom the registry lists as alive
    counted_income: Decimal
    per_capita_income: Decimal
    income: dict                     # {category: verified monthly amount}
    found_wages: Decimal
    declared_wages: Decimal
    financial_assets: Decimal
    assets: dict                     # {category: verified value or count}
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


def _d(value) -> Decimal:
    if value is None:
        return ZERO
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _i(value) -> int:
    return int(value or 0)


def rule_summary(params: DibaoParameters | None, *, is_urban: bool, size: int, month: dt.date, outcome=None,
                 error: str = "") -> dict:
    """The rule applied, as stored with the result: program, standard and limits in force."""
    if params is None:
        return {"program": "dibao", "section": rules.DIBAO_SECTION, "month": month.strftime("%Y-%m"), "error": error}
    details = outcome.details if outcome is not None else {}
    standard = params.standard_for(is_urban)
    limit = details.get("financial_limit")
    return {
        "program": "dibao", "section": rules.DIBAO_SECTION, "month": month.strftime("%Y-%m"),
        "is_urban": is_urban, "standard": None if standard is None else f"{standard:.2f}",
        "standard_area": params.standard_area_for(is_urban), "members": size,
        "financial_limit": None if limit is None else f"{limit:.2f}",
        "max_homes": params.max_homes, "max_non_residential_properties": params.max_non_residential_properties,
        "max_vehicles": params.max_vehicles, "max_businesses": params.max_businesses,
    }


def verified_figures(totals: HouseholdTotals) -> tuple[dict, dict, Decimal, Decimal]:
    """(income by category, assets by category, found wages, declared wages) after the
    larger-of-declared-and-found rule (module docstring)."""
    declared = totals.declared
    found = totals.found
    living = [m for m in totals.members if m.living]
    found_income = {
        "wages": sum((m.wages for m in living), ZERO),
        "pension": sum((m.pension for m in living), ZERO),
        "unemployment": sum((m.unemployment for m in living), ZERO),
    }
    income = {c: max(_d(declared.get(c)), found_income[c]) for c in COUNTED_INCOME}
    other_income = _d(declared.get("other_income"))
    if other_income:
        income["other"] = other_income
    excluded = sum((m.excluded_pension for m in living), ZERO)
    if excluded:
        income["excluded_basic_pension"] = excluded
    assets: dict = {c: max(_d(declared.get(c)), _d(found.get(c))) for c in FINANCIAL}
    other_financial = _d(declared.get("other_financial"))
    if other_financial:
        assets["other_financial"] = other_financial
    for c in COUNTS:
        assets[c] = max(_i(declared.get(c)), _i(found.get(c)))
    return income, assets, found_income["wages"], _d(declared.get("wages"))


def assess_household(totals: HouseholdTotals, params: DibaoParameters | None, on_date: dt.date, *,
                     params_error: str = "") -> HouseholdAssessment:
    """The household's verified income and assets, the dibao rule's outcome on them, and the flags.

    `params` None (no standard set for the area: `params_error` says why) still yields the
    facts and the two flags that need no threshold."""
    income, assets, found_wages, declared_wages = verified_figures(totals)
    counted = sum((v for k, v in income.items() if k != "excluded_basic_pension"), ZERO)
    financial = sum((v for k, v in assets.items() if k in FINANCIAL or k == "other_financial"), ZERO)
    living = [m for m in totals.members if m.living]
    flags = []

    outcome = None
    if params is not None and living:
        member_income = [m.wages + m.pension + m.unemployment for m in living]
        rest = counted - sum(member_income, ZERO)
        facts = HouseholdFacts(
            members=tuple(
                MemberFacts(birth_date=m.birth_date, monthly_income=member_income[i] + (rest if i == 0 else ZERO),
                            excluded_income=m.excluded_pension, disability_type=m.disability_type or "",
                            disability_grade=m.disability_grade, serious_illness=bool(m.serious_illness),
                            person_id=m.person_id, name=m.name)
                for i, m in enumerate(living)),
            assets=AssetFacts(financial=financial, homes=assets["home"], non_residential_properties=assets["non_residential"],
                              vehicles=assets["vehicle"], exempt_vehicles=assets["mobility_vehicle"],
                              businesses=assets["business"]),
            is_urban=totals.is_urban, on_date=on_date)
        outcome = rules.assess_dibao(facts, params)
        details = outcome.details
        standard = details.get("standard")
        if standard is not None and details.get("per_capita_income", ZERO) >= standard:
            flags.append(INCOME_OVER_STANDARD)
        for reason in outcome.reasons:
            flag = _ASSET_REASON_FLAGS.get(getattr(reason, "msgid", None))
            if flag:
                flags.append(flag)
    deceased = sum(1 for m in totals.members if m.found_dead and not m.registry_deceased)
    if deceased:
        flags.append(MEMBER_DECEASED)
    if found_wages > declared_wages:
        flags.append(UNDECLARED_WAGES)
    flags.sort(key=FLAGS.index)
    details = outcome.details if outcome is not None else {}
    return HouseholdAssessment(
        household_id=totals.household_id, area_code=totals.area_code, chunk=totals.chunk, members=len(living),
        deceased=deceased, counted_income=counted, per_capita_income=details.get("per_capita_income", ZERO),
        income=income, found_wages=found_wages, declared_wages=declared_wages, financial_assets=financial, assets=assets,
        homes=assets["home"], non_residential=assets["non_residential"], vehicles=assets["vehicle"],
        businesses=assets["business"], flags=flags, eligible=bool(outcome and outcome.eligible),
        amount=outcome.monthly_amount if outcome is not None else ZERO,
        rule=rule_summary(params, is_urban=totals.is_urban, size=len(living), month=on_date, outcome=outcome,
                          error=params_error),
    )
