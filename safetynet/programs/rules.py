"""The rules of dibao, special hardship and temporary assistance as pure functions: facts and
parameters in, an Outcome (eligible, amount, reasons, breakdown) out. No database, no clock, no
Django beyond marking messages for translation (DESIGN.md §4 Rules are data plus pure functions).

Money is Decimal throughout and every amount is rounded to the cent with the rounding the
parameters name (half-up by default, POLICY.md §1). Breakdown lines and reasons are `Phrase`s,
translated only when shown, so bulk work (re-checks, payroll previews) pays for the arithmetic
only; bench/bench_rules.py measures it.

Choices made where the policy leaves room (each is documented where it is made):
- a member in two increment categories counts once, at the highest of his categories' ratios;
- individual coverage of a low-income-margin household pays the full standard per covered
  member, and a household's amount is never below what individual coverage of its severely
  disabled or seriously ill members would pay (see `assess_dibao`);
- per-capita income is rounded to the cent before the gap is computed, so the lines a town
  worker reads aloud add up exactly.
"""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Decimal
from typing import Any, Callable

from django.utils.translation import gettext_noop as N_

from .facts import (
    BreakdownLine, DibaoParameters, HouseholdFacts, MemberFacts, Outcome, Phrase, SpecialHardshipParameters,
    SupporterFacts, TemporaryParameters,
)

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
ROUNDINGS = {"half_up": ROUND_HALF_UP, "down": ROUND_DOWN, "up": ROUND_UP}

DIBAO_SECTION = "POLICY.md §1"
SH_SECTION = "POLICY.md §2"
TA_SECTION = "POLICY.md §3"

# Coverage of a dibao outcome.
HOUSEHOLD = "household"
INDIVIDUAL = "individual"
NONE = "none"

# Care levels (SH-2021 art. 21-22) and the six daily activities they are assessed on.
SELF_CARE = "self_care"
PARTIAL_CARE = "partial"
FULL_CARE = "full"
DAILY_ACTIVITIES = ("eating", "dressing", "bed_transfer", "toileting", "walking_indoors", "bathing")

# Temporary assistance.
EMERGENCY = "emergency"
EXPENSE = "expense"
QUICK = "quick"
TEMPORARY_KINDS = (EMERGENCY, EXPENSE, QUICK)
TOWN = "town"
COUNTY = "county"
CASE_BY_CASE = "case_by_case"

# --- messages (msgids marked for makemessages; translated when a Phrase is shown) -------------
URBAN = N_("urban")
RURAL = N_("rural")
NATIONAL = N_("national")
# Phrases, not bare msgids: they are shown inside another phrase and must be translated there too.
CAT_ELDERLY = Phrase(N_("elderly"))
CAT_MINOR = Phrase(N_("minor"))
CAT_DISABLED = Phrase(N_("severe disability"))
CAT_ILL = Phrase(N_("serious illness"))
MEMBER_N = N_("member %(n)d")

L_STANDARD = N_("Standard (%(kind)s, %(area)s)")
R_STANDARD = N_("Monthly dibao standard per person in force for the area (MLG-2021 art. 23)")
L_INCOME = N_("Counted household income")
R_INCOME = N_("Income counted by MLG-2021 art. 13; excluded kinds are left out")
L_RIGID = N_("Rigid illness and disability costs deducted")
R_RIGID = N_("Rigid costs of illness and disability may be deducted (MLG-2021 art. 13)")
L_PER_CAPITA = N_("Per-capita counted income")
R_PER_CAPITA = N_("Counted income ÷ %(n)d members, rounded to the cent")
L_GAP = N_("Gap × %(n)d members")
R_GAP = N_("(standard − per-capita income) × members (MLG-2021 art. 23)")
L_REFUSED = N_("%(name)s refused suitable work %(times)d times: his own share is not paid")
R_REFUSED = N_("A member who refuses suitable work three times loses only his own share (MLG-2021 art. 34)")
L_INCREMENT = N_("Increment: %(name)s aged %(age)d (%(categories)s)")
R_INCREMENT = N_("%(percent)s%% of the standard per qualifying member, counted once per member (MLG-2021 art. 27)")
L_INDIVIDUAL = N_("Individual coverage: %(name)s (%(categories)s)")
R_INDIVIDUAL = N_("Low-income margin household: a severely disabled or seriously ill member is covered alone at the full standard (MLG-2021 art. 8)")
L_FLOOR = N_("Raised to what individual coverage would pay")
R_FLOOR = N_("A household is never paid less than its severely disabled or seriously ill members would get alone, so more income never means more money (MLG-2021 art. 8)")
L_TOTAL = N_("Monthly amount")
R_TOTAL = N_("Sum of the lines above, rounded to the cent")
L_FINANCIAL = N_("Financial assets limit (%(multiple)s × standard × %(n)d members)")
R_FINANCIAL = N_("Deposits, securities, funds, insurance, claims and online finance (MLG-2021 art. 14)")

X_NO_MEMBERS = N_("The household has no members to assess.")
X_NO_STANDARD = N_("No %(kind)s dibao standard is set for the area.")
X_ABOVE_STANDARD = N_("Per-capita income ¥%(income)s is not below the standard ¥%(standard)s.")
X_MARGIN_NOBODY = N_("Per-capita income ¥%(income)s is not below the standard ¥%(standard)s, and no member is severely disabled or seriously ill to be covered alone.")
X_FINANCIAL = N_("Financial assets ¥%(value)s are above the limit ¥%(limit)s.")
X_HOMES = N_("%(n)d homes: at most %(max)d allowed.")
X_NON_RESIDENTIAL = N_("%(n)d non-residential properties: at most %(max)d allowed.")
X_VEHICLES = N_("%(n)d motor vehicles (besides a mobility vehicle, motorcycle or e-bike): at most %(max)d allowed.")
X_BUSINESSES = N_("%(n)d registered businesses: at most %(max)d allowed unless a review waives a small shop.")
X_ALL_REFUSED = N_("Every member who could be paid has refused suitable work %(limit)d times or more.")

L_GRADUAL = N_("Gradual exit: payment continues, month %(month)d of %(months)d")
R_GRADUAL = N_("When work lifts income above the standard, payment continues for a gradual-exit period (MLG-2021 art. 33)")
X_GRADUAL_OVER = N_("The gradual-exit period of %(months)d months has ended.")
X_GRADUAL_NOT_WORK = N_("Income rose above the standard for a reason other than work: no gradual exit.")



class Percent:
    """A ratio shown as a percentage (0.30 → "30") when the text is rendered, not before."""

    __slots__ = ("ratio",)

    def __init__(self, ratio: Decimal):
        self.ratio = ratio

    def __str__(self) -> str:
        return format((self.ratio * 100).normalize(), "f")

    def __eq__(self, other) -> bool:
        return isinstance(other, Percent) and other.ratio == self.ratio

    def __hash__(self) -> int:
        return hash(self.ratio)


_PHRASE_CACHE: dict = {}
_PHRASE_CACHE_MAX = 4096


def _cached(msgid: str, key, params: Callable[[Any], dict]) -> Phrase:
    """The same Phrase object for the same message and figures: bulk assessments share them
    instead of building one per line (they are immutable). `params(key)` builds the figures only
    when the phrase is not cached yet."""
    slot = (msgid, key)
    phrase = _PHRASE_CACHE.get(slot)
    if phrase is None:
        if len(_PHRASE_CACHE) >= _PHRASE_CACHE_MAX:
            _PHRASE_CACHE.clear()
        phrase = _PHRASE_CACHE[slot] = Phrase(msgid, params(key))
    return phrase


def _count(n) -> dict:
    return {"n": n}


def _percent(ratio) -> dict:
    return {"percent": Percent(ratio)}


def _standard_of(key) -> dict:
    is_urban, area = key
    return {"kind": _URBAN_OR_RURAL[is_urban], "area": area or _P_NATIONAL}


def age_on(birth_date: dt.date, on_date: dt.date) -> int:
    """Full years on `on_date` (a birthday on the day counts)."""
    return on_date.year - birth_date.year - ((on_date.month, on_date.day) < (birth_date.month, birth_date.day))


_GRADE_3_SEVERE = frozenset({"intellectual", "mental"})


def is_severely_disabled(disability_type: str, disability_grade: int | None) -> bool:
    """Grade 1–2 of any kind, or grade 3 intellectual or mental (MLG-2021 art. 8, 27)."""
    if disability_grade is None:
        return False
    return disability_grade <= 2 or (disability_grade == 3 and disability_type in _GRADE_3_SEVERE)


def _money(value) -> str:
    return f"{value:,.2f}"


def _name(member, index: int):
    return member.name or Phrase(MEMBER_N, {"n": index + 1})


def _increment(member: MemberFacts, age: int, severe: bool, params: DibaoParameters):
    """(ratio, categories) for one member; ratio 0 when he qualifies for none.

    A member in two categories (a disabled 75-year-old) counts once, at the highest ratio of his
    categories: MLG-2021 art. 27 adds increments "for members who are" elderly, minors, severely
    disabled or seriously ill, per member, and local rules that allow stacking say so explicitly;
    a county wanting it can raise the ratio of the combined case instead."""
    ratio = ZERO
    categories = ()
    if age >= params.elderly_age:
        categories += (CAT_ELDERLY,)
        ratio = max(ratio, params.increment_ratio_elderly)
    if age < params.minor_age:
        categories += (CAT_MINOR,)
        ratio = max(ratio, params.increment_ratio_minor)
    if severe:
        categories += (CAT_DISABLED,)
        ratio = max(ratio, params.increment_ratio_severe_disability)
    if member.serious_illness:
        categories += (CAT_ILL,)
        ratio = max(ratio, params.increment_ratio_serious_illness)
    return ratio, categories


def _asset_failures(facts: HouseholdFacts, params: DibaoParameters, standard: Decimal, size: int, rounding):
    """Reasons and breakdown lines for each asset limit the household exceeds (MLG-2021 art. 14)."""
    assets = facts.assets
    reasons: list = []
    lines: list = []
    limit = (params.financial_asset_multiple * standard * size).quantize(CENT, rounding)
    if assets.financial > limit:
        reasons.append(Phrase(X_FINANCIAL, {"value": _money(assets.financial), "limit": _money(limit)}))
        lines.append(BreakdownLine(Phrase(L_FINANCIAL, {"multiple": params.financial_asset_multiple, "n": size}),
                                   limit, _P_R_FINANCIAL, DIBAO_SECTION))
    if assets.homes > params.max_homes:
        reasons.append(Phrase(X_HOMES, {"n": assets.homes, "max": params.max_homes}))
    if assets.non_residential_properties > params.max_non_residential_properties:
        reasons.append(Phrase(X_NON_RESIDENTIAL, {"n": assets.non_residential_properties, "max": params.max_non_residential_properties}))
    if assets.vehicles > params.max_vehicles:
        reasons.append(Phrase(X_VEHICLES, {"n": assets.vehicles, "max": params.max_vehicles}))
    if assets.businesses > params.max_businesses and not assets.business_waived:
        reasons.append(Phrase(X_BUSINESSES, {"n": assets.businesses, "max": params.max_businesses}))
    return reasons, lines, limit


def assess_dibao(facts: HouseholdFacts, params: DibaoParameters) -> Outcome:
    """Dibao eligibility and monthly amount for one household (POLICY.md §1).

    - Household: the members with `is_applicant` (MLG-2021 art. 7); their counted incomes minus
      rigid illness and disability costs, floored at 0, divided by their number, is the
      per-capita income (rounded to the cent).
    - Assets (art. 14): financial ≤ multiple × standard × members; homes, non-residential
      properties, vehicles (exempt ones aside) and businesses (unless waived) within their
      limits; each failure is a reason and the household is not eligible.
    - Below the standard, household coverage: (standard − per-capita) × paid members, where a
      member who refused suitable work `refused_work_limit` times is not paid (art. 34) but still
      counts for the per-capita income; plus an increment per qualifying paid member (art. 27).
    - At or above the standard but below `margin_multiple` × standard (the low-income margin),
      individual coverage (art. 8) of each member who is severely disabled (grade 1–2, or grade 3
      intellectual/mental) or seriously ill: the full standard per covered member plus his
      increment. The full standard because the gap method gives such a household nothing, and
      the point of art. 8 is to carry the covered person as if he had no share of the
      household's income (the common local practice for "单人保").
    - The same individual-coverage sum is a floor under household coverage. Without it a
      household a yuan above the standard (covered individually) would get more than one a yuan
      below it, which rewards hiding income; with it the amount never rises with income.

    details: standard, per_capita_income, members, coverage ("household" | "individual" |
    "none"), counted_income, paid_members, increments, financial_limit, margin_limit.
    """
    rounding = ROUNDINGS.get(params.rounding, ROUND_HALF_UP)
    is_urban = facts.is_urban
    standard = params.urban_standard if is_urban else params.rural_standard
    members = [m for m in facts.members if m.is_applicant]
    size = len(members)
    details = {"standard": standard, "members": size, "coverage": NONE, "per_capita_income": ZERO}
    if standard is None:
        return Outcome(False, ZERO, (Phrase(X_NO_STANDARD, {"kind": _URBAN_OR_RURAL[is_urban]}),), (), details)
    if size == 0:
        return Outcome(False, ZERO, (_P_X_NO_MEMBERS,), (), details)

    income = ZERO
    rigid = ZERO
    for m in members:
        income += m.monthly_income
        rigid += m.rigid_expenses
    counted = income - rigid if income > rigid else ZERO
    per_capita = (counted / size).quantize(CENT, rounding)
    area = params.urban_standard_area if is_urban else params.rural_standard_area
    lines = [
        BreakdownLine(_cached(L_STANDARD, (is_urban, area), _standard_of),
                      standard, _P_R_STANDARD, DIBAO_SECTION),
        BreakdownLine(_P_L_INCOME, income.quantize(CENT, rounding), _P_R_INCOME, DIBAO_SECTION),
    ]
    if rigid:
        lines.append(BreakdownLine(_P_L_RIGID, -rigid.quantize(CENT, rounding), _P_R_RIGID, DIBAO_SECTION))
    lines.append(BreakdownLine(_P_L_PER_CAPITA, per_capita, _cached(R_PER_CAPITA, size, _count), DIBAO_SECTION))
    margin_limit = (params.margin_multiple * standard).quantize(CENT, rounding)
    details["per_capita_income"] = per_capita
    details["counted_income"] = counted
    details["margin_limit"] = margin_limit

    assets = facts.assets
    financial_limit = (params.financial_asset_multiple * standard * size).quantize(CENT, rounding)
    if (assets.financial > financial_limit or assets.homes > params.max_homes
            or assets.non_residential_properties > params.max_non_residential_properties
            or assets.vehicles > params.max_vehicles
            or (assets.businesses > params.max_businesses and not assets.business_waived)):
        reasons, asset_lines, _limit = _asset_failures(facts, params, standard, size, rounding)
    else:
        reasons = asset_lines = ()
    details["financial_limit"] = financial_limit
    details["assets_ok"] = not reasons
    if reasons:
        lines.extend(asset_lines)
        details["paid_members"] = 0
        details["increments"] = ZERO
        return Outcome(False, ZERO, tuple(reasons), tuple(lines), details)

    on_date = facts.on_date
    refused_limit = params.refused_work_limit
    paid = 0
    increments = ZERO
    increment_lines = {}
    refused_lines = []
    individual_sum = ZERO          # what individual coverage of the covered members would pay
    individual_lines = []
    below_standard = per_capita < standard
    in_margin = per_capita < margin_limit
    for index, m in enumerate(members):
        if m.refused_work_times >= refused_limit:
            if below_standard:
                refused_lines.append(BreakdownLine(Phrase(L_REFUSED, {"name": _name(m, index), "times": m.refused_work_times}),
                                                   None, _P_R_REFUSED, DIBAO_SECTION))
            continue
        paid += 1
        if not in_margin:
            continue
        birth = m.birth_date
        age = on_date.year - birth.year - ((on_date.month, on_date.day) < (birth.month, birth.day))
        grade = m.disability_grade
        severe = grade is not None and (grade <= 2 or (grade == 3 and m.disability_type in _GRADE_3_SEVERE))
        ratio, categories = _increment(m, age, severe, params)
        share = (ratio * standard).quantize(CENT, rounding) if categories else ZERO
        if categories:
            increments += share
            increment_lines[index] = BreakdownLine(Phrase(L_INCREMENT, {"name": _name(m, index), "age": age, "categories": categories}),
                                                   share, _cached(R_INCREMENT, ratio, _percent), DIBAO_SECTION)
        if severe or m.serious_illness:
            individual_sum += standard + share
            individual_lines.append((m, index, age, categories, share))

    if below_standard:
        details["coverage"] = HOUSEHOLD
        gap = (standard - per_capita) * paid
        lines.append(BreakdownLine(_cached(L_GAP, paid, _count), gap, _P_R_GAP, DIBAO_SECTION))
        lines.extend(refused_lines)
        lines.extend(increment_lines.values())
        amount = gap + increments
        if individual_sum > amount:
            lines.append(BreakdownLine(_P_L_FLOOR, individual_sum - amount, _P_R_FLOOR, DIBAO_SECTION))
            amount = individual_sum
    elif in_margin and individual_lines:
        details["coverage"] = INDIVIDUAL
        paid = len(individual_lines)
        increments = ZERO
        for m, index, age, categories, share in individual_lines:
            lines.append(BreakdownLine(Phrase(L_INDIVIDUAL, {"name": _name(m, index), "categories": categories}),
                                       standard, _P_R_INDIVIDUAL, DIBAO_SECTION))
            increments += share
        lines.extend(increment_lines[index] for m, index, *_ in individual_lines if index in increment_lines)
        amount = individual_sum
    else:
        details["paid_members"] = 0
        details["increments"] = ZERO
        template = X_MARGIN_NOBODY if in_margin else X_ABOVE_STANDARD
        return Outcome(False, ZERO, (Phrase(template, {"income": _money(per_capita), "standard": _money(standard)}),),
                       tuple(lines), details)

    amount = amount.quantize(CENT, rounding)
    details["paid_members"] = paid
    details["increments"] = increments
    if amount <= 0:
        return Outcome(False, ZERO, (Phrase(X_ALL_REFUSED, {"limit": refused_limit}),), tuple(lines), details)
    lines.append(BreakdownLine(_P_L_TOTAL, amount, _P_R_TOTAL, DIBAO_SECTION))
    return Outcome(True, amount, (), tuple(lines), details)


def assess_gradual_exit(facts: HouseholdFacts, params: DibaoParameters, *, current_amount: Decimal,
                        income_rose_from_work: bool, months_elapsed: int) -> Outcome:
    """Re-check of an enrolled household whose income rose (MLG-2021 art. 33, POLICY.md §1).

    When the household is still eligible, the ordinary outcome stands. When it is not, only
    because per-capita income is now at or above the standard, and the rise came from work, the
    current amount keeps being paid for `gradual_exit_months` months: `months_elapsed` is how
    many months have been paid since the rise was found (0 in the month it was found).
    Asset failures end payment at once: the gradual exit protects work, not wealth."""
    outcome = assess_dibao(facts, params)
    if outcome.eligible:
        return outcome
    details = dict(outcome.details)
    standard = details.get("standard")
    income_only = (standard is not None and details.get("assets_ok", False)
                   and details.get("per_capita_income", ZERO) >= standard)
    months = params.gradual_exit_months
    details["gradual_exit"] = False
    if not income_only:
        return Outcome(False, ZERO, outcome.reasons, outcome.breakdown, details)
    if not income_rose_from_work:
        return Outcome(False, ZERO, outcome.reasons + (_P_X_GRADUAL_NOT_WORK,), outcome.breakdown, details)
    if months_elapsed >= months:
        return Outcome(False, ZERO, outcome.reasons + (Phrase(X_GRADUAL_OVER, {"months": months}),), outcome.breakdown, details)
    rounding = ROUNDINGS.get(params.rounding, ROUND_HALF_UP)
    amount = Decimal(current_amount).quantize(CENT, rounding)
    details.update(gradual_exit=True, coverage=HOUSEHOLD, gradual_exit_months_left=months - months_elapsed - 1)
    lines = outcome.breakdown + (
        BreakdownLine(Phrase(L_GRADUAL, {"month": months_elapsed + 1, "months": months}), amount, _P_R_GRADUAL, DIBAO_SECTION),
    )
    return Outcome(amount > 0, amount, (), lines, details)


# --- special hardship (POLICY.md §2) ----------------------------------------------------------

L_SH_WORK = N_("No ability to work: %(why)s")
R_SH_WORK = N_("Aged 60 or over, under 18, or intellectual/mental disability grade 1–3, physical grade 1–2, visual grade 1 (SH-2021 art. 5)")
L_SH_LIVELIHOOD = N_("No means of livelihood: income ¥%(income)s below the standard")
R_SH_LIVELIHOOD = N_("Income below the local dibao standard and assets within the local limits (SH-2021 art. 6)")
L_SH_SUPPORT = N_("No supporter able to support: %(why)s")
R_SH_SUPPORT = N_("No supporter, or every supporter unable (SH-2021 art. 8)")
L_SH_BASIC = N_("Basic living standard (%(ratio)s × dibao standard ¥%(standard)s)")
R_SH_BASIC = N_("Basic living standard, a multiple of the local dibao standard (SH-2021; local default 1.3)")
L_SH_CARE = N_("Care standard: %(level)s")
R_SH_CARE = N_("Care standard for the care level assessed on six daily activities (SH-2021 art. 21–22)")

W_AGE_OLD = N_("aged %(age)d")
W_AGE_YOUNG = N_("aged %(age)d, a minor")
W_DISABILITY = N_("%(type)s disability grade %(grade)d")
S_NONE = N_("no supporter")
S_ALL_UNABLE = N_("every supporter is unable")

X_SH_CAN_WORK = N_("Able to work: not aged 60 or over, not a minor, and no disability that removes the ability to work.")
X_SH_INCOME = N_("Income ¥%(income)s is not below the dibao standard ¥%(standard)s.")
X_SH_SUPPORTER = N_("%(name)s (%(relation)s) is able to support.")
L_SH_SUPPORTER_ABLE = N_("Supporter %(name)s (%(relation)s): able to support")
L_SH_SUPPORTER_UNABLE = N_("Supporter %(name)s (%(relation)s): unable, %(why)s")
R_SH_SUPPORTER = N_("A supporter is unable only as a special hardship person, a dibao recipient aged %(dibao_age)d or over, "
                    "aged %(elderly_age)d or over or severely disabled with low income and assets, without full civil "
                    "capacity, missing, or in prison (SH-2021 art. 8)")
U_SPECIAL_HARDSHIP = N_("a special hardship person himself")
U_DIBAO = N_("a dibao recipient aged %(age)d")
U_ELDERLY = N_("aged %(age)d with low income and assets")
U_DISABLED = N_("%(type)s disability grade %(grade)d with low income and assets")
U_INCAPACITATED = N_("without full civil capacity")
U_MISSING = N_("missing")
U_IMPRISONED = N_("serving a prison sentence")
# Supporters' relations, as the registry names them (the same msgids, so the same translations).
RELATION_LABELS = {"spouse": N_("spouse"), "parent": N_("parent"), "child": N_("child"), "grandparent": N_("grandparent"),
                   "grandchild": N_("grandchild"), "sibling": N_("sibling"), "other": N_("other relative")}
DISABILITY_LABELS = {"physical": N_("physical"), "intellectual": N_("intellectual"), "mental": N_("mental"),
                     "visual": N_("visual"), "hearing": N_("hearing"), "speech": N_("speech"), "multiple": N_("multiple")}

CARE_LEVEL_LABELS = {SELF_CARE: N_("full self-care"), PARTIAL_CARE: N_("partial care"), FULL_CARE: N_("full care")}


def care_level(activities: dict[str, bool]) -> str:
    """Care level from the six daily activities (True = able), SH-2021 art. 21–22: all six able →
    "self_care"; 1–3 unable → "partial"; 4 or more unable → "full". All six must be answered."""
    unknown = set(activities) - set(DAILY_ACTIVITIES)
    missing = set(DAILY_ACTIVITIES) - set(activities)
    if unknown or missing:
        raise ValueError(f"care_level needs exactly the six activities {DAILY_ACTIVITIES}; "
                         f"unknown {sorted(unknown)}, missing {sorted(missing)}")
    unable = sum(1 for name in DAILY_ACTIVITIES if not activities[name])
    if unable == 0:
        return SELF_CARE
    return PARTIAL_CARE if unable <= 3 else FULL_CARE


def lacks_work_ability(person: MemberFacts, age: int, params: SpecialHardshipParameters):
    """The reason the person has no ability to work (SH-2021 art. 5), or None. "multiple"
    disabilities count like physical ones (grade 1–2)."""
    if age >= params.elderly_age:
        return Phrase(W_AGE_OLD, {"age": age})
    if age < params.minor_age:
        return Phrase(W_AGE_YOUNG, {"age": age})
    grade, kind = person.disability_grade, person.disability_type
    if grade is not None and (
        (kind in ("intellectual", "mental") and grade <= 3)
        or (kind in ("physical", "multiple") and grade <= 2)
        or (kind == "visual" and grade <= 1)
    ):
        return Phrase(W_DISABILITY, {"type": _label(DISABILITY_LABELS, kind), "grade": grade})
    return None


def supporter_inability(supporter: SupporterFacts, on_date: dt.date, params: SpecialHardshipParameters):
    """Why the supporter cannot support (a Phrase), or None when he can (SH-2021 art. 8): he is
    himself special hardship, a dibao recipient aged 60+, aged 70+ or severely disabled with low
    income and assets, incapacitated, missing or imprisoned (the ages are parameters). An
    age-bound way without a birth date is not established."""
    if supporter.is_special_hardship:
        return _P_U_SPECIAL_HARDSHIP
    if supporter.incapacitated:
        return _P_U_INCAPACITATED
    if supporter.missing:
        return _P_U_MISSING
    if supporter.imprisoned:
        return _P_U_IMPRISONED
    age = age_on(supporter.birth_date, on_date) if supporter.birth_date else None
    if supporter.is_dibao_recipient and age is not None and age >= params.supporter_dibao_age:
        return Phrase(U_DIBAO, {"age": age})
    if supporter.low_income_and_assets:
        if age is not None and age >= params.supporter_elderly_age:
            return Phrase(U_ELDERLY, {"age": age})
        if is_severely_disabled(supporter.disability_type, supporter.disability_grade):
            return Phrase(U_DISABLED, {"type": _label(DISABILITY_LABELS, supporter.disability_type),
                                       "grade": supporter.disability_grade})
    return None


def supporter_is_unable(supporter: SupporterFacts, on_date: dt.date, params: SpecialHardshipParameters) -> bool:
    return supporter_inability(supporter, on_date, params) is not None


def legal_supporters(person_age: int, relatives: list[tuple[str, int]], adult_age: int) -> list[int]:
    """Which of the person's living relatives, (relation: "relative is the person's …", age), are
    bound by law to support him (法定赡养、抚养、扶养义务人, SH-2021 art. 8 with the Civil Code
    art. 1059, 1067, 1074, 1075): the spouse; adult children; the parents of a minor; adult
    grandchildren when no child is listed; the grandparents and adult siblings of a minor when
    no parent is listed. Indexes into `relatives`, in their order."""
    minor = person_age < adult_age
    has_child = any(relation == "child" for relation, _age in relatives)
    has_parent = any(relation == "parent" for relation, _age in relatives)
    bound = []
    for index, (relation, age) in enumerate(relatives):
        adult = age >= adult_age
        if (relation == "spouse" or (relation == "child" and adult) or (relation == "parent" and minor)
                or (relation == "grandchild" and adult and not has_child)
                or (relation == "grandparent" and minor and not has_parent)
                or (relation == "sibling" and adult and minor and not has_parent)):
            bound.append(index)
    return bound


def _label(labels: dict, code: str):
    return Phrase(labels[code]) if code in labels else (code or "?")


def relation_label(relation: str):
    return _label(RELATION_LABELS, relation)


def _supporter_lines(supporters, on_date: dt.date, params: SpecialHardshipParameters) -> tuple[list, list]:
    """One breakdown line per supporter with the rule's verdict, and the supporters able to support."""
    rule = Phrase(R_SH_SUPPORTER, {"dibao_age": params.supporter_dibao_age, "elderly_age": params.supporter_elderly_age})
    lines, able = [], []
    for s in supporters:
        who = {"name": s.name or "?", "relation": relation_label(s.relation)}
        why = supporter_inability(s, on_date, params)
        if why is None:
            able.append(who)
            lines.append(BreakdownLine(Phrase(L_SH_SUPPORTER_ABLE, who), None, rule, SH_SECTION))
        else:
            lines.append(BreakdownLine(Phrase(L_SH_SUPPORTER_UNABLE, {**who, "why": why}), None, rule, SH_SECTION))
    return lines, able


def assess_special_hardship(person: MemberFacts, household: HouseholdFacts, supporters: list[SupporterFacts],
                            params: SpecialHardshipParameters, *, level: str = SELF_CARE) -> Outcome:
    """Special-hardship eligibility and monthly amount (SH-2021 art. 4–8, POLICY.md §2).

    All three conditions must hold: no ability to work, no means of livelihood (the person's
    counted income below the dibao standard, and the assets in `household` within the dibao
    limits for its members — pass the person's own economic unit), and no supporter able to
    support. Amount = basic living (`basic_living_ratio` × dibao standard) + the care standard
    of `level` (from `care_level`). details: standard, basic_living, care_level, care_standard,
    conditions."""
    dibao = params.dibao
    rounding = ROUNDINGS.get(dibao.rounding, ROUND_HALF_UP)
    standard = dibao.standard_for(household.is_urban)
    details = {"standard": standard, "care_level": level, "conditions": {}}
    if standard is None:
        kind = _URBAN_OR_RURAL[household.is_urban]
        return Outcome(False, ZERO, (Phrase(X_NO_STANDARD, {"kind": kind}),), (), details)
    on_date = household.on_date
    age = age_on(person.birth_date, on_date)
    reasons: list = []
    lines: list = []

    why = lacks_work_ability(person, age, params)
    details["conditions"]["no_work_ability"] = why is not None
    if why is None:
        reasons.append(_P_X_SH_CAN_WORK)
    else:
        lines.append(BreakdownLine(Phrase(L_SH_WORK, {"why": why}), None, _P_R_SH_WORK, SH_SECTION))

    income = person.monthly_income - person.rigid_expenses
    income = income if income > 0 else ZERO
    size = max(1, len([m for m in household.members if m.is_applicant]))
    asset_reasons, asset_lines, _limit = _asset_failures(household, dibao, standard, size, rounding)
    livelihood = income < standard and not asset_reasons
    details["conditions"]["no_livelihood"] = livelihood
    if income >= standard:
        reasons.append(Phrase(X_SH_INCOME, {"income": _money(income.quantize(CENT, rounding)), "standard": _money(standard)}))
    reasons.extend(asset_reasons)
    if livelihood:
        lines.append(BreakdownLine(Phrase(L_SH_LIVELIHOOD, {"income": _money(income.quantize(CENT, rounding))}),
                                   standard, _P_R_SH_LIVELIHOOD, SH_SECTION))
    else:
        lines.extend(asset_lines)

    supporter_lines, able = _supporter_lines(supporters, on_date, params)
    lines.extend(supporter_lines)
    details["conditions"]["no_able_supporter"] = not able
    for who in able:
        reasons.append(Phrase(X_SH_SUPPORTER, who))
    if not able:
        lines.append(BreakdownLine(Phrase(L_SH_SUPPORT, {"why": Phrase(S_ALL_UNABLE if supporters else S_NONE)}),
                                   None, _P_R_SH_SUPPORT, SH_SECTION))

    basic = (params.basic_living_ratio * standard).quantize(CENT, rounding)
    care = {SELF_CARE: params.care_standard_self_care, PARTIAL_CARE: params.care_standard_partial,
            FULL_CARE: params.care_standard_full}.get(level)
    if care is None:
        raise ValueError(f"unknown care level {level!r}")
    care = care.quantize(CENT, rounding)
    details.update(basic_living=basic, care_standard=care)
    if reasons:
        return Outcome(False, ZERO, tuple(reasons), tuple(lines), details)
    lines.append(BreakdownLine(Phrase(L_SH_BASIC, {"ratio": params.basic_living_ratio, "standard": _money(standard)}),
                               basic, _P_R_SH_BASIC, SH_SECTION))
    lines.append(BreakdownLine(Phrase(L_SH_CARE, {"level": Phrase(CARE_LEVEL_LABELS[level])}), care, _P_R_SH_CARE, SH_SECTION))
    amount = basic + care
    lines.append(BreakdownLine(_P_L_TOTAL, amount, _P_R_TOTAL, SH_SECTION))
    return Outcome(True, amount, (), tuple(lines), details)


# --- temporary assistance (POLICY.md §3) ------------------------------------------------------

L_TA_REQUESTED = N_("Amount requested")
R_TA_REQUESTED = N_("Aid is never more than what was asked for")
L_TA_QUICK_CAP = N_("Quick aid limit (%(multiple)s × standard ¥%(standard)s)")
R_TA_QUICK_CAP = N_("Small-amount quick aid: no means check, decided within 3 days, up to 1 × the monthly standard (TA-2026)")
L_TA_LEVEL = N_("Approved by: %(level)s")
R_TA_LEVEL = N_("Town up to %(town)s × standard (¥%(town_limit)s), county up to %(county)s × (¥%(county_limit)s), above that case by case (TA-2018)")
L_TA_AMOUNT = N_("Aid amount")
R_TA_AMOUNT = N_("One-off payment; emergency aid may be paid first and the record completed afterwards (TA-2018)")
X_TA_NOTHING = N_("The amount requested must be more than zero.")
X_TA_KIND = N_("Unknown kind of temporary assistance.")
LEVEL_LABELS = {TOWN: N_("town"), COUNTY: N_("county"), CASE_BY_CASE: N_("case-by-case decision")}


def approving_level(amount: Decimal, params: TemporaryParameters) -> str:
    """Who approves an amount: the town up to `town_limit_multiple` × standard, the county up to
    `county_limit_multiple` ×, above that a case-by-case decision (POLICY.md §3 local defaults)."""
    if amount <= params.town_limit_multiple * params.standard:
        return TOWN
    if amount <= params.county_limit_multiple * params.standard:
        return COUNTY
    return CASE_BY_CASE


def assess_temporary(kind: str, requested: Decimal, params: TemporaryParameters) -> Outcome:
    """Temporary-assistance amount and approving level (TA-2018, TA-2026; POLICY.md §3).

    The amount is what was requested, never more; small-amount quick aid ("quick") is capped at
    `quick_aid_multiple` × the monthly standard and decided by the town. Emergency and expense
    aid go to the level their amount needs. details: standard, approving_level, town_limit,
    county_limit, quick_limit, requested."""
    rounding = ROUNDINGS.get(params.rounding, ROUND_HALF_UP)
    standard = params.standard
    requested = Decimal(requested).quantize(CENT, rounding)
    town_limit = (params.town_limit_multiple * standard).quantize(CENT, rounding)
    county_limit = (params.county_limit_multiple * standard).quantize(CENT, rounding)
    quick_limit = (params.quick_aid_multiple * standard).quantize(CENT, rounding)
    details = {"standard": standard, "requested": requested, "town_limit": town_limit, "county_limit": county_limit,
               "quick_limit": quick_limit, "kind": kind, "approving_level": TOWN}
    if kind not in TEMPORARY_KINDS:
        return Outcome(False, ZERO, (_P_X_TA_KIND,), (), details)
    if requested <= 0:
        return Outcome(False, ZERO, (_P_X_TA_NOTHING,), (), details)
    lines = [BreakdownLine(_P_L_TA_REQUESTED, requested, _P_R_TA_REQUESTED, TA_SECTION)]
    amount = requested
    if kind == QUICK:
        lines.append(BreakdownLine(Phrase(L_TA_QUICK_CAP, {"multiple": params.quick_aid_multiple, "standard": _money(standard)}),
                                   quick_limit, _P_R_TA_QUICK_CAP, TA_SECTION))
        amount = min(requested, quick_limit)
        level = TOWN
    else:
        level = approving_level(amount, params)
    details["approving_level"] = level
    lines.append(BreakdownLine(Phrase(L_TA_LEVEL, {"level": Phrase(LEVEL_LABELS[level])}), None,
                               Phrase(R_TA_LEVEL, {"town": params.town_limit_multiple, "town_limit": _money(town_limit),
                                                   "county": params.county_limit_multiple, "county_limit": _money(county_limit)}),
                               TA_SECTION))
    lines.append(BreakdownLine(_P_L_TA_AMOUNT, amount, _P_R_TA_AMOUNT, TA_SECTION))
    if amount <= 0:
        return Outcome(False, ZERO, (_P_X_TA_NOTHING,), tuple(lines), details)
    return Outcome(True, amount, (), tuple(lines), details)

# Parameterless phrases, built once (they are immutable): the hot path only builds the ones
# that carry figures.
_P_L_FLOOR = Phrase(L_FLOOR)
_P_U_SPECIAL_HARDSHIP = Phrase(U_SPECIAL_HARDSHIP)
_P_U_INCAPACITATED = Phrase(U_INCAPACITATED)
_P_U_MISSING = Phrase(U_MISSING)
_P_U_IMPRISONED = Phrase(U_IMPRISONED)
_P_L_INCOME = Phrase(L_INCOME)
_P_L_PER_CAPITA = Phrase(L_PER_CAPITA)
_P_L_RIGID = Phrase(L_RIGID)
_P_L_TA_AMOUNT = Phrase(L_TA_AMOUNT)
_P_L_TA_REQUESTED = Phrase(L_TA_REQUESTED)
_P_L_TOTAL = Phrase(L_TOTAL)
_P_NATIONAL = Phrase(NATIONAL)
_P_R_FINANCIAL = Phrase(R_FINANCIAL)
_P_R_FLOOR = Phrase(R_FLOOR)
_P_R_GAP = Phrase(R_GAP)
_P_R_GRADUAL = Phrase(R_GRADUAL)
_P_R_INCOME = Phrase(R_INCOME)
_P_R_INDIVIDUAL = Phrase(R_INDIVIDUAL)
_P_R_REFUSED = Phrase(R_REFUSED)
_P_R_RIGID = Phrase(R_RIGID)
_P_R_SH_BASIC = Phrase(R_SH_BASIC)
_P_R_SH_CARE = Phrase(R_SH_CARE)
_P_R_SH_LIVELIHOOD = Phrase(R_SH_LIVELIHOOD)
_P_R_SH_SUPPORT = Phrase(R_SH_SUPPORT)
_P_R_SH_WORK = Phrase(R_SH_WORK)
_P_R_STANDARD = Phrase(R_STANDARD)
_P_R_TA_AMOUNT = Phrase(R_TA_AMOUNT)
_P_R_TA_QUICK_CAP = Phrase(R_TA_QUICK_CAP)
_P_R_TA_REQUESTED = Phrase(R_TA_REQUESTED)
_P_R_TOTAL = Phrase(R_TOTAL)
_P_X_GRADUAL_NOT_WORK = Phrase(X_GRADUAL_NOT_WORK)
_P_X_NO_MEMBERS = Phrase(X_NO_MEMBERS)
_P_X_SH_CAN_WORK = Phrase(X_SH_CAN_WORK)
_P_X_TA_KIND = Phrase(X_TA_KIND)
_P_X_TA_NOTHING = Phrase(X_TA_NOTHING)
_URBAN_OR_RURAL = {True: Phrase(URBAN), False: Phrase(RURAL)}
