"""The pure rule modules (POLICY.md §1–3): one test per branch, and hypothesis properties for the
invariants issue 3 names (amount never negative; more income never raises it; an added
qualifying member never lowers it; amounts exact to the cent)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation
from hypothesis import HealthCheck, assume, given, settings, strategies as st

from safetynet.programs.facts import AssetFacts, HouseholdFacts, MemberFacts, SupporterFacts
from safetynet.programs.rules import (
    DAILY_ACTIVITIES, assess_dibao, assess_gradual_exit, assess_special_hardship, assess_temporary, care_level,
)
from tests.programs_helpers import ON, born, dibao_params, household, member, sh_params, temporary_params

D = Decimal


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def items(outcome) -> list[str]:
    return [str(line.item) for line in outcome.breakdown]


def reasons(outcome) -> str:
    return " | ".join(str(r) for r in outcome.reasons)


# --- dibao: the gap method ------------------------------------------------------------------

def test_worked_example_from_policy():
    """POLICY.md §1: standard 1,100, per-capita income 700, 3 members → 400 × 3 = 1,200."""
    outcome = assess_dibao(household(member("2100"), member("0"), member("0")), dibao_params(rural="1100.00"))
    assert outcome.eligible
    assert outcome.monthly_amount == D("1200.00")
    assert outcome.details["standard"] == D("1100.00")
    assert outcome.details["per_capita_income"] == D("700.00")
    assert outcome.details["members"] == 3
    assert outcome.details["coverage"] == "household"
    assert items(outcome) == ["Standard (rural, 正定县)", "Counted household income", "Per-capita counted income",
                              "Gap × 3 members", "Monthly amount"]
    gap = outcome.breakdown[3]
    assert gap.amount == D("1200.00") and "Measures for the Review and Confirmation of Minimum Living Guarantees, art. 23" in str(gap.rule) and gap.section == "POLICY.md §1"


def test_urban_household_uses_the_urban_standard():
    outcome = assess_dibao(household(member("300"), urban=True), dibao_params())
    assert outcome.details["standard"] == D("900.00")
    assert outcome.monthly_amount == D("600.00")
    assert items(outcome)[0] == "Standard (urban, 正定县)"


def test_per_capita_income_rounds_half_up_to_the_cent_and_lines_add_up():
    outcome = assess_dibao(household(member("1000"), member("0"), member("0")), dibao_params())
    assert outcome.details["per_capita_income"] == D("333.33")
    assert outcome.monthly_amount == (D("720.00") - D("333.33")) * 3 == D("1160.01")
    down = assess_dibao(household(member("1000.01"), member("0"), member("0")), dibao_params(rounding="down"))
    assert down.details["per_capita_income"] == D("333.33")


def test_rigid_expenses_are_deducted_and_income_floored_at_zero():
    outcome = assess_dibao(household(member("600", rigid_expenses=D("200")), member("0")), dibao_params())
    assert outcome.details["per_capita_income"] == D("200.00")
    assert "Rigid illness and disability costs deducted" in items(outcome)
    floored = assess_dibao(household(member("100", rigid_expenses=D("500")), member("0")), dibao_params())
    assert floored.details["per_capita_income"] == D("0.00")
    assert floored.monthly_amount == D("1440.00")


def test_members_outside_the_household_are_not_counted():
    outcome = assess_dibao(household(member("0"), member("5000", is_applicant=False)), dibao_params())
    assert outcome.details["members"] == 1
    assert outcome.monthly_amount == D("720.00")


def test_no_members_and_no_standard_are_refused_with_a_reason():
    empty = assess_dibao(household(), dibao_params())
    assert not empty.eligible and "no members" in reasons(empty)
    unset = assess_dibao(household(member("0")), dibao_params(rural=None))
    assert not unset.eligible and "No rural dibao standard" in reasons(unset)
    assert unset.monthly_amount == 0


def test_income_at_or_above_the_standard_is_refused():
    outcome = assess_dibao(household(member("2400"), member("0")), dibao_params())
    assert not outcome.eligible
    assert outcome.details["coverage"] == "none"
    assert reasons(outcome) == "Per-capita income ¥1,200.00 is not below the standard ¥720.00."
    assert outcome.monthly_amount == D("0.00")


# --- dibao: increments ----------------------------------------------------------------------

def test_increments_for_elderly_and_minor_members():
    outcome = assess_dibao(household(member("720", name="王某"), member("0", age=75, name="王老某"), member("0", age=10, name="王小某")),
                           dibao_params())
    # per-capita 240; gap 480 × 3 = 1440; increments 0.30 × 720 = 216 each
    assert outcome.monthly_amount == D("1440.00") + 2 * D("216.00")
    assert "Increment: 王老某 aged 75 (elderly)" in items(outcome)
    assert "Increment: 王小某 aged 10 (minor)" in items(outcome)
    assert str(outcome.breakdown[-2].rule).startswith("30% of the standard per qualifying member")
    assert outcome.details["increments"] == D("432.00")


def test_elderly_from_exactly_70_and_minor_below_18():
    at_70 = assess_dibao(household(member("0", age=70)), dibao_params())
    at_69 = assess_dibao(household(member("0", age=69)), dibao_params())
    at_18 = assess_dibao(household(member("0", age=18)), dibao_params())
    at_17 = assess_dibao(household(member("0", age=17)), dibao_params())
    assert at_70.monthly_amount - at_69.monthly_amount == D("216.00")
    assert at_17.monthly_amount - at_18.monthly_amount == D("216.00")


def test_birthday_on_the_assessment_day_counts():
    on = dt.date(2026, 11, 1)
    turns_70_today = MemberFacts(birth_date=dt.date(1956, 11, 1))
    turns_70_tomorrow = MemberFacts(birth_date=dt.date(1956, 11, 2))
    assert assess_dibao(HouseholdFacts((turns_70_today,), on_date=on), dibao_params()).details["increments"] == D("216.00")
    assert assess_dibao(HouseholdFacts((turns_70_tomorrow,), on_date=on), dibao_params()).details["increments"] == D("0.00")


@pytest.mark.parametrize("grade,kind,counts", [
    (1, "physical", True), (2, "visual", True), (3, "intellectual", True), (3, "mental", True),
    (3, "physical", False), (4, "mental", False), (None, "", False),
])
def test_severe_disability_increment(grade, kind, counts):
    outcome = assess_dibao(household(member("0", disability_grade=grade, disability_type=kind)), dibao_params())
    assert outcome.details["increments"] == (D("216.00") if counts else D("0.00"))


def test_a_member_in_two_categories_counts_once_at_the_highest_ratio():
    params = dibao_params(increment_ratio_elderly="0.20", increment_ratio_serious_illness="0.50")
    outcome = assess_dibao(household(member("0", age=80, serious_illness=True, name="李某")), params)
    assert outcome.details["increments"] == D("360.00")        # 0.50 × 720, not 0.70 × 720
    assert "Increment: 李某 aged 80 (elderly, serious illness)" in items(outcome)


def test_unnamed_members_are_numbered():
    outcome = assess_dibao(household(member("0"), member("0", age=80)), dibao_params())
    assert "Increment: member 2 aged 80 (elderly)" in items(outcome)


# --- dibao: assets --------------------------------------------------------------------------

@pytest.mark.parametrize("assets,text", [
    (AssetFacts(financial=D("34560.01"), homes=1), "Financial assets ¥34,560.01 are above the limit ¥34,560.00."),
    (AssetFacts(homes=2), "2 homes: at most 1 allowed."),
    (AssetFacts(homes=1, non_residential_properties=1), "1 non-residential properties: at most 0 allowed."),
    (AssetFacts(homes=1, vehicles=1), "1 motor vehicles"),
    (AssetFacts(homes=1, businesses=1), "1 registered businesses"),
])
def test_each_asset_failure_is_a_reason(assets, text):
    outcome = assess_dibao(household(member("0"), member("0"), assets=assets), dibao_params())
    assert not outcome.eligible
    assert outcome.monthly_amount == 0
    assert text in reasons(outcome)
    assert outcome.details["coverage"] == "none"


def test_financial_limit_is_inclusive_and_scales_with_members():
    # 24 × 720 × 2 = 34,560.00
    ok = assess_dibao(household(member("0"), member("0"), assets=AssetFacts(financial=D("34560.00"), homes=1)), dibao_params())
    assert ok.eligible and ok.details["financial_limit"] == D("34560.00")


def test_exempt_vehicles_and_a_waived_shop_are_allowed():
    assets = AssetFacts(homes=1, exempt_vehicles=2, businesses=1, business_waived=True)
    assert assess_dibao(household(member("0"), assets=assets), dibao_params()).eligible


def test_several_asset_failures_give_several_reasons():
    outcome = assess_dibao(household(member("0"), assets=AssetFacts(homes=3, vehicles=1, businesses=2)), dibao_params())
    assert len(outcome.reasons) == 3


# --- dibao: individual coverage in the low-income margin (MLG-2021 art. 8) -----------------------

def test_margin_household_covers_a_severely_disabled_member_alone():
    # per-capita 800: above the standard 720, below the margin 1,080
    outcome = assess_dibao(household(member("1600", name="赵某"), member("0", disability_grade=1, disability_type="physical", name="赵某某")),
                           dibao_params())
    assert outcome.eligible
    assert outcome.details["coverage"] == "individual"
    assert outcome.monthly_amount == D("720.00") + D("216.00")   # the standard + his increment
    assert "Individual coverage: 赵某某 (severe disability)" in items(outcome)
    assert outcome.details["paid_members"] == 1


def test_margin_household_covers_a_seriously_ill_member_and_grade_3_mental():
    ill = assess_dibao(household(member("1600"), member("0", serious_illness=True)), dibao_params())
    mental = assess_dibao(household(member("1600"), member("0", disability_grade=3, disability_type="mental")), dibao_params())
    assert ill.details["coverage"] == mental.details["coverage"] == "individual"


def test_margin_household_without_a_qualifying_member_is_refused():
    outcome = assess_dibao(household(member("1600"), member("0", age=80)), dibao_params())
    assert not outcome.eligible
    assert "no member is severely disabled or seriously ill" in reasons(outcome)


def test_above_the_margin_nobody_is_covered():
    outcome = assess_dibao(household(member("2200"), member("0", disability_grade=1, disability_type="physical")), dibao_params())
    assert not outcome.eligible and outcome.details["coverage"] == "none"


def test_household_amount_never_below_individual_coverage():
    """Just below the standard, the gap is tiny; the household still gets at least what its
    disabled member would get alone, so earning a yuan more never pays more."""
    below = assess_dibao(household(member("1438"), member("0", disability_grade=1, disability_type="physical")), dibao_params())
    above = assess_dibao(household(member("1442"), member("0", disability_grade=1, disability_type="physical")), dibao_params())
    assert below.details["coverage"] == "household" and above.details["coverage"] == "individual"
    assert below.monthly_amount == above.monthly_amount == D("936.00")
    assert "Raised to what individual coverage would pay" in items(below)


# --- dibao: refused work (MLG-2021 art. 34) -----------------------------------------------------

def test_a_member_who_refused_work_three_times_loses_only_his_share():
    outcome = assess_dibao(household(member("600", refused_work_times=3, name="钱某"), member("0"), member("0", age=75)),
                           dibao_params())
    # per-capita still counts him: 600 / 3 = 200; gap 520 × 2 paid members; the elderly increment stays
    assert outcome.details["per_capita_income"] == D("200.00")
    assert outcome.monthly_amount == D("1040.00") + D("216.00")
    assert "Gap × 2 members" in items(outcome)
    assert any("钱某 refused suitable work 3 times" in i for i in items(outcome))


def test_two_refusals_change_nothing_and_his_increment_goes_with_his_share():
    two = assess_dibao(household(member("0", refused_work_times=2), member("0")), dibao_params())
    assert two.monthly_amount == D("1440.00")
    refusing_elder = assess_dibao(household(member("0", age=75, refused_work_times=4), member("0")), dibao_params())
    assert refusing_elder.monthly_amount == D("720.00")


def test_everyone_refused_work_is_refused():
    outcome = assess_dibao(household(member("0", refused_work_times=3)), dibao_params())
    assert not outcome.eligible and "refused suitable work 3 times or more" in reasons(outcome)


# --- dibao: gradual exit (MLG-2021 art. 33) ---------------------------------------------------

def test_gradual_exit_keeps_paying_for_six_months_after_work_lifts_income():
    risen = household(member("1600"), member("0"))      # per-capita 800 > 720
    for elapsed in range(6):
        outcome = assess_gradual_exit(risen, dibao_params(), current_amount=D("500.00"), income_rose_from_work=True,
                                      months_elapsed=elapsed)
        assert outcome.eligible and outcome.monthly_amount == D("500.00")
        assert outcome.details["gradual_exit"] is True
        assert outcome.details["gradual_exit_months_left"] == 5 - elapsed
    over = assess_gradual_exit(risen, dibao_params(), current_amount=D("500.00"), income_rose_from_work=True, months_elapsed=6)
    assert not over.eligible and "gradual-exit period of 6 months has ended" in reasons(over)


def test_no_gradual_exit_when_income_rose_otherwise_or_assets_fail_or_still_eligible():
    risen = household(member("1600"), member("0"))
    other = assess_gradual_exit(risen, dibao_params(), current_amount=D("500"), income_rose_from_work=False, months_elapsed=0)
    assert not other.eligible and "other than work" in reasons(other)
    rich = household(member("1600"), member("0"), assets=AssetFacts(homes=1, vehicles=1))
    assert not assess_gradual_exit(rich, dibao_params(), current_amount=D("500"), income_rose_from_work=True, months_elapsed=0).eligible
    poor = household(member("0"))
    still = assess_gradual_exit(poor, dibao_params(), current_amount=D("500"), income_rose_from_work=True, months_elapsed=0)
    assert still.eligible and still.monthly_amount == D("720.00")
    shorter = assess_gradual_exit(risen, dibao_params(gradual_exit_months=0), current_amount=D("500"),
                                  income_rose_from_work=True, months_elapsed=0)
    assert not shorter.eligible


def test_outcome_as_dict_is_text():
    data = assess_dibao(household(member("2100"), member("0"), member("0", age=75)), dibao_params(rural="1100.00")).as_dict()
    assert data["monthly_amount"] == "1530.00"
    assert data["breakdown"][0] == {"item": "Standard (rural, 正定县)", "amount": "1100.00",
                                    "rule": "Monthly dibao standard per person in force for the area (Measures for the Review and Confirmation of Minimum Living Guarantees, art. 23)",
                                    "section": "POLICY.md §1"}
    assert all(isinstance(line["item"], str) and isinstance(line["rule"], str) for line in data["breakdown"])


def test_breakdown_is_translated_when_shown():
    outcome = assess_dibao(household(member("0")), dibao_params())
    with translation.override("zh-hans"):
        zh = str(outcome.breakdown[0].item)
    with translation.override("en"):
        en = str(outcome.breakdown[0].item)
    assert en == "Standard (rural, 正定县)"
    assert "正定县" in zh


# --- dibao: properties ------------------------------------------------------------------------

money = st.decimals(min_value=0, max_value=6000, places=2, allow_nan=False, allow_infinity=False)
standards = st.decimals(min_value=300, max_value=2000, places=2, allow_nan=False, allow_infinity=False)
disabilities = st.sampled_from([(None, ""), (1, "physical"), (2, "visual"), (3, "intellectual"), (3, "physical"), (4, "hearing")])


@st.composite
def members(draw, qualifying: bool = False):
    age = draw(st.integers(0, 100))
    grade, kind = draw(disabilities)
    ill = draw(st.booleans())
    refused = draw(st.sampled_from([0, 0, 0, 1, 3, 5]))
    if qualifying:
        assume(age >= 70 or age < 18 or ill or (grade is not None and (grade <= 2 or kind in ("intellectual", "mental"))))
        refused = 0
    return MemberFacts(birth_date=born(age), monthly_income=Decimal("0.00") if qualifying else draw(money),
                       rigid_expenses=draw(st.sampled_from([D("0"), D("0"), D("150.50")])), disability_type=kind,
                       disability_grade=grade, serious_illness=ill, refused_work_times=refused)


@st.composite
def assets(draw):
    return AssetFacts(financial=draw(st.decimals(min_value=0, max_value=100000, places=2)), homes=draw(st.integers(0, 2)),
                      vehicles=draw(st.sampled_from([0, 0, 0, 1])), exempt_vehicles=draw(st.integers(0, 1)),
                      businesses=draw(st.sampled_from([0, 0, 1])), business_waived=draw(st.booleans()))


@st.composite
def cases(draw):
    params = dibao_params(rural=str(draw(standards)), urban=str(draw(standards)),
                          increment_ratio_elderly=str(draw(st.sampled_from(["0.30", "0.20", "0"]))),
                          increment_ratio_serious_illness=str(draw(st.sampled_from(["0.30", "0.50"]))),
                          rounding=draw(st.sampled_from(["half_up", "half_up", "down", "up"])))
    facts = HouseholdFacts(members=tuple(draw(st.lists(members(), min_size=1, max_size=6))), assets=draw(assets()),
                           is_urban=draw(st.booleans()), on_date=ON)
    return facts, params


PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@PROPERTY
@given(cases())
def test_amount_is_never_negative_and_exact_to_the_cent(case):
    facts, params = case
    outcome = assess_dibao(facts, params)
    assert outcome.monthly_amount >= 0
    assert outcome.monthly_amount == outcome.monthly_amount.quantize(Decimal("0.01"))
    assert outcome.eligible == (outcome.monthly_amount > 0)
    for line in outcome.breakdown:
        assert line.amount is None or line.amount == line.amount.quantize(Decimal("0.01"))
    assert outcome.eligible or outcome.reasons


@PROPERTY
@given(cases(), st.data())
def test_more_income_never_raises_the_amount(case, data):
    facts, params = case
    index = data.draw(st.integers(0, len(facts.members) - 1))
    extra = data.draw(st.decimals(min_value=Decimal("0.01"), max_value=3000, places=2))
    richer = list(facts.members)
    richer[index] = MemberFacts(**{**richer[index].__dict__, "monthly_income": richer[index].monthly_income + extra})
    more = HouseholdFacts(members=tuple(richer), assets=facts.assets, is_urban=facts.is_urban, on_date=facts.on_date)
    assert assess_dibao(more, params).monthly_amount <= assess_dibao(facts, params).monthly_amount


@PROPERTY
@given(cases(), members(qualifying=True))
def test_an_added_qualifying_member_never_lowers_the_amount(case, newcomer):
    facts, params = case
    bigger = HouseholdFacts(members=facts.members + (newcomer,), assets=facts.assets, is_urban=facts.is_urban, on_date=facts.on_date)
    assert assess_dibao(bigger, params).monthly_amount >= assess_dibao(facts, params).monthly_amount


# --- special hardship (SH-2021) -------------------------------------------------------------

def alone(person, assets=None):
    return HouseholdFacts(members=(person,), assets=assets or AssetFacts(homes=1), on_date=ON)


def test_care_levels_from_six_daily_activities():
    able = {name: True for name in DAILY_ACTIVITIES}
    assert care_level(able) == "self_care"
    for unable, level in [(1, "partial"), (3, "partial"), (4, "full"), (6, "full")]:
        activities = dict(able)
        for name in DAILY_ACTIVITIES[:unable]:
            activities[name] = False
        assert care_level(activities) == level
    with pytest.raises(ValueError):
        care_level({"eating": True})
    with pytest.raises(ValueError):
        care_level({**able, "dancing": False})


def test_special_hardship_amount_is_basic_living_plus_care():
    person = member("100", age=72)
    outcome = assess_special_hardship(person, alone(person), [], sh_params(), level="partial")
    assert outcome.eligible
    assert outcome.monthly_amount == D("936.00") + D("300.00")     # 1.3 × 720 + partial care
    assert outcome.details["basic_living"] == D("936.00")
    assert outcome.details["care_standard"] == D("300.00")
    assert all(outcome.details["conditions"].values())
    assert "Care standard: partial care" in items(outcome)
    full = assess_special_hardship(person, alone(person), [], sh_params(), level="full")
    assert full.monthly_amount == D("1736.00")
    self_care = assess_special_hardship(person, alone(person), [], sh_params())
    assert self_care.monthly_amount == D("936.00")


@pytest.mark.parametrize("kw,eligible", [
    ({"age": 60}, True), ({"age": 59}, False), ({"age": 17}, True), ({"age": 18}, False),
    ({"age": 40, "disability_grade": 3, "disability_type": "intellectual"}, True),
    ({"age": 40, "disability_grade": 3, "disability_type": "mental"}, True),
    ({"age": 40, "disability_grade": 2, "disability_type": "physical"}, True),
    ({"age": 40, "disability_grade": 3, "disability_type": "physical"}, False),
    ({"age": 40, "disability_grade": 1, "disability_type": "visual"}, True),
    ({"age": 40, "disability_grade": 2, "disability_type": "visual"}, False),
    ({"age": 40, "disability_grade": 1, "disability_type": "hearing"}, False),
])
def test_special_hardship_no_ability_to_work(kw, eligible):
    person = member("0", **kw)
    outcome = assess_special_hardship(person, alone(person), [], sh_params())
    assert outcome.eligible is eligible
    assert outcome.details["conditions"]["no_work_ability"] is eligible
    if not eligible:
        assert "Able to work" in reasons(outcome)


def test_special_hardship_no_livelihood():
    rich = member("720", age=70)
    outcome = assess_special_hardship(rich, alone(rich), [], sh_params())
    assert not outcome.eligible and "not below the dibao standard" in reasons(outcome)
    poor_with_car = member("0", age=70)
    outcome = assess_special_hardship(poor_with_car, alone(poor_with_car, AssetFacts(homes=1, vehicles=1)), [], sh_params())
    assert not outcome.eligible and not outcome.details["conditions"]["no_livelihood"]


def supporter(**kw):
    return SupporterFacts(birth_date=born(kw.pop("age", 45)), name="孙某", relation="child", **kw)


@pytest.mark.parametrize("kw,unable", [
    ({}, False),
    ({"is_special_hardship": True}, True),
    ({"is_dibao_recipient": True, "age": 60}, True),
    ({"is_dibao_recipient": True, "age": 59}, False),
    ({"age": 70, "low_income_and_assets": True}, True),
    ({"age": 70}, False),
    ({"disability_grade": 2, "disability_type": "physical", "low_income_and_assets": True}, True),
    ({"disability_grade": 2, "disability_type": "physical"}, False),
    ({"incapacitated": True}, True),
    ({"missing": True}, True),
    ({"imprisoned": True}, True),
])
def test_special_hardship_supporter_inability(kw, unable):
    person = member("0", age=80)
    outcome = assess_special_hardship(person, alone(person), [supporter(**kw)], sh_params())
    assert outcome.eligible is unable
    if not unable:
        assert "孙某 (child) is able to support." in reasons(outcome)


def test_special_hardship_breakdown_says_what_the_rule_made_of_each_supporter():
    person = member("0", age=80)
    outcome = assess_special_hardship(person, alone(person), [supporter(imprisoned=True),
                                                              supporter(is_dibao_recipient=True, age=59)], sh_params())
    items = [str(line.item) for line in outcome.breakdown]
    assert "Supporter 孙某 (child): unable, serving a prison sentence" in items
    assert "Supporter 孙某 (child): able to support" in items
    assert not outcome.eligible


def test_special_hardship_age_bound_reason_without_a_birth_date_is_not_established():
    person = member("0", age=80)
    undated = SupporterFacts(name="孙某", relation="child", is_dibao_recipient=True)
    assert not assess_special_hardship(person, alone(person), [undated], sh_params()).eligible
    assert assess_special_hardship(person, alone(person), [SupporterFacts(name="孙某", relation="spouse", missing=True)],
                                   sh_params()).eligible


def test_special_hardship_one_able_supporter_among_unable_ones_refuses():
    person = member("0", age=80)
    outcome = assess_special_hardship(person, alone(person), [supporter(missing=True), supporter()], sh_params())
    assert not outcome.eligible


def test_special_hardship_without_a_standard_and_unknown_level():
    person = member("0", age=80)
    unset = assess_special_hardship(person, alone(person), [], sh_params(dibao_params(rural=None)))
    assert not unset.eligible
    with pytest.raises(ValueError):
        assess_special_hardship(person, alone(person), [], sh_params(), level="royal")


# --- temporary assistance (TA-2018, TA-2026) -----------------------------------------------------

@pytest.mark.parametrize("requested,level", [
    ("1.00", "town"), ("2880.00", "town"), ("2880.01", "county"), ("7200.00", "county"), ("7200.01", "case_by_case"),
])
def test_temporary_approving_level_by_amount(requested, level):
    for kind in ("emergency", "expense"):
        outcome = assess_temporary(kind, D(requested), temporary_params())
        assert outcome.eligible
        assert outcome.monthly_amount == D(requested)
        assert outcome.details["approving_level"] == level


def test_quick_aid_is_capped_at_one_standard_and_decided_by_the_town():
    capped = assess_temporary("quick", D("5000"), temporary_params())
    assert capped.monthly_amount == D("720.00")
    assert capped.details["approving_level"] == "town"
    under = assess_temporary("quick", D("300"), temporary_params())
    assert under.monthly_amount == D("300.00")


def test_temporary_refuses_nothing_requested_and_unknown_kinds():
    assert not assess_temporary("expense", D("0"), temporary_params()).eligible
    assert not assess_temporary("lottery", D("100"), temporary_params()).eligible


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["emergency", "expense", "quick"]), st.decimals(min_value=0, max_value=100000, places=2), standards)
def test_temporary_amount_never_above_request_nor_negative(kind, requested, standard):
    outcome = assess_temporary(kind, requested, temporary_params(standard=str(standard)))
    assert D("0") <= outcome.monthly_amount <= requested
    assert outcome.monthly_amount == outcome.monthly_amount.quantize(D("0.01"))
    if kind == "quick":
        assert outcome.monthly_amount <= standard
    assert outcome.details["approving_level"] in {"town", "county", "case_by_case"}
