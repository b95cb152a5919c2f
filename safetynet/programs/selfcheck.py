"""The public eligibility self-check (issue 3 §6): a resident enters the household's members,
counted monthly incomes and assets and sees whether to apply for dibao, with the same breakdown a
town worker would read out.

One function, `check_dibao_eligibility`, serves both the JSON endpoint (public_api.py) and the
public page (public_views.py); it resolves the parameters with selectors.dibao_parameters and
applies rules.assess_dibao, so no rule is written twice. It writes nothing and needs no login;
the callers rate-limit it per client address (throttle.py).

Ages are taken on the first day of the month asked about, the day the parameters are resolved for.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from safetynet.areas.models import Level
from safetynet.core import dates
from safetynet.core.errors import ValidationError
from safetynet.core.money import parse_money

from .facts import AssetFacts, HouseholdFacts, MemberFacts
from .rules import assess_dibao
from .selectors import area_path, dibao_parameters

DISABILITY_TYPES = ("physical", "intellectual", "mental", "visual", "hearing", "speech", "multiple")
MAX_MEMBERS = 30
MAX_INCOME = Decimal("10000000")
MAX_FINANCIAL = Decimal("10000000000")
MAX_COUNT = 100
EARLIEST_YEAR = 2000
LATEST_YEAR = 2099


@dataclass(frozen=True)
class SelfCheckAnswer:
    eligible: bool
    monthly_amount: Decimal
    standard: Decimal
    per_capita_income: Decimal
    reasons: list[str]
    breakdown: list[dict]          # {"item", "amount" (Decimal), "rule"}
    coverage: str
    area_name: str

    def as_json(self) -> dict:
        """The API contract: amounts as decimal strings with two places."""
        return {
            "eligible": self.eligible,
            "monthly_amount": f"{self.monthly_amount:.2f}",
            "standard": f"{self.standard:.2f}",
            "per_capita_income": f"{self.per_capita_income:.2f}",
            "reasons": list(self.reasons),
            "breakdown": [{"item": line["item"], "amount": f"{line['amount']:.2f}", "rule": line["rule"]}
                          for line in self.breakdown],
        }


def parse_month(value, *, field: str = "month") -> dt.date:
    """The month to check (core.dates.parse_month: YYYY-MM, or a date), 2000-2099."""
    month = dates.parse_month(value, field=field, required=True, message=_("Give the month as YYYY-MM, e.g. 2026-11."),
                              code="invalid")
    if not EARLIEST_YEAR <= month.year <= LATEST_YEAR:
        raise ValidationError(_("Choose a month between %(first)d and %(last)d.") % {"first": EARLIEST_YEAR, "last": LATEST_YEAR},
                              field=field)
    return month


def _decimal(value, *, field: str, maximum: Decimal) -> Decimal:
    """An amount as typed, empty meaning zero (core.money.parse_money: "12,34" is refused, not 1234)."""
    return parse_money("0" if value in (None, "") else value, field=field, maximum=maximum)


def _count(value, *, field: str) -> int:
    try:
        number = int(value if value not in (None, "") else 0)
    except (TypeError, ValueError):
        raise ValidationError(_("Enter a whole number."), field=field)
    if not 0 <= number <= MAX_COUNT:
        raise ValidationError(_("Enter a number from 0 to %(max)d.") % {"max": MAX_COUNT}, field=field)
    return number


def _member(index: int, data: dict, month: dt.date) -> MemberFacts:
    prefix = f"members.{index}."
    birth = data.get("birth_date")
    if isinstance(birth, str):
        birth = dates.parse_date(birth, field=prefix + "birth_date", required=True,
                           message=_("Give the birth date as YYYY-MM-DD."), code="invalid")
    if not isinstance(birth, dt.date):
        raise ValidationError(_("The birth date is required."), field=prefix + "birth_date")
    month_end = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    if birth > month_end or birth.year < 1890:
        raise ValidationError(_("The birth date must be a real date before the end of the month checked."), field=prefix + "birth_date")
    grade = data.get("disability_grade")
    if grade in ("", None):
        grade = None
    else:
        try:
            grade = int(grade)
        except (TypeError, ValueError):
            grade = 0
        if not 1 <= grade <= 4:
            raise ValidationError(_("A disability grade is 1 (most severe) to 4."), field=prefix + "disability_grade")
    kind = data.get("disability_type") or ""
    if kind and kind not in DISABILITY_TYPES:
        raise ValidationError(_("Unknown kind of disability."), field=prefix + "disability_type")
    # A grade without a kind still counts (grades 1-2 are severe whatever the kind); a kind
    # without a grade is no assessed disability and is ignored.
    return MemberFacts(
        birth_date=birth,
        monthly_income=_decimal(data.get("monthly_income"), field=prefix + "monthly_income", maximum=MAX_INCOME),
        disability_type=kind if grade is not None else "",
        disability_grade=grade,
        serious_illness=bool(data.get("serious_illness")),
    )


def check_dibao_eligibility(*, area_code: str, month, members: list[dict], assets: dict | None) -> SelfCheckAnswer:
    """Assess a household described by a resident. Raises ValidationError naming the field at
    fault ("area_code", "month", "members", "members.<i>.<field>", "assets.<field>") for bad
    input, an unknown village, or a county that has not set its standard yet."""
    month = parse_month(month)
    code = (area_code or "").strip()
    if not (len(code) == 12 and code.isascii() and code.isdigit()):
        raise ValidationError(_("Choose a village: its code has 12 digits."), field="area_code")
    path = area_path(code)
    if path.level != Level.VILLAGE:
        raise ValidationError(_("Choose a village: its code has 12 digits."), field="area_code")
    if path.is_urban is None:
        raise ValidationError(_("This village has no urban-rural class yet: ask the town office."), field="area_code")
    if not members:
        raise ValidationError(_("Add at least one household member."), field="members")
    if len(members) > MAX_MEMBERS:
        raise ValidationError(_("At most %(n)d members.") % {"n": MAX_MEMBERS}, field="members")
    member_facts = tuple(_member(i, m, month) for i, m in enumerate(members))
    assets = assets or {}
    asset_facts = AssetFacts(
        financial=_decimal(assets.get("financial"), field="assets.financial", maximum=MAX_FINANCIAL),
        homes=_count(assets.get("homes"), field="assets.homes"),
        non_residential_properties=_count(assets.get("non_residential_properties"), field="assets.non_residential_properties"),
        vehicles=_count(assets.get("vehicles"), field="assets.vehicles"),
        businesses=_count(assets.get("businesses"), field="assets.businesses"),
    )
    params = dibao_parameters(code, month, is_urban=path.is_urban)
    facts = HouseholdFacts(members=member_facts, assets=asset_facts, is_urban=path.is_urban, on_date=month)
    outcome = assess_dibao(facts, params)
    return SelfCheckAnswer(
        eligible=outcome.eligible,
        monthly_amount=outcome.monthly_amount,
        standard=outcome.details["standard"],
        per_capita_income=outcome.details["per_capita_income"],
        reasons=[str(r) for r in outcome.reasons],
        breakdown=[{"item": str(line.item), "amount": line.amount, "rule": str(line.rule)}
                   for line in outcome.breakdown if line.amount is not None],
        coverage=outcome.details["coverage"],
        area_name=path.name,
    )
