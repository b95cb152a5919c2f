"""Budget lines and spending against them (issue 19 part 3): set by the county, charged once per
source by one function, a warning from the warning share on with a forecast, refused past the
line without a county leader's approval, refused without a line; each post in its own area."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safetynet.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from safetynet.funding import budgets, forecast, overview, subsidies, subsidy_runs
from safetynet.funding.models import BudgetCharge
from tests.cases_helpers import D
from tests.conftest import COUNTY, OTHER_TOWN, TOWN
from tests.funding_helpers import budget, work  # noqa: F401,F811 (a fixture)

ON = D(2025, 10, 15)


def _charge(actor, amount, key, *, area=TOWN, kind="subsidies"):
    return budgets.charge_budget(actor=actor, area_code=area, kind=kind, amount=amount, source_kind="test", source_key=key,
                                 on=ON, year=2025)


def test_who_sets_a_budget_line_and_what_it_may_be(posts, county):
    with pytest.raises(PermissionDenied):
        budget(posts.worker, TOWN, "1000.00")
    with pytest.raises(PermissionDenied):
        budget(posts.county_leader, TOWN, "1000.00")
    with pytest.raises(ValidationError):             # a village keeps no budget
        budget(posts.officer, posts.cadre.area_code, "1000.00")
    with pytest.raises(NotFound):
        budget(posts.officer, "130124", "1000.00")
    for bad in ("-1", "12.345", "1e5", "abc"):
        with pytest.raises(ValidationError):
            budget(posts.officer, TOWN, bad)
    with pytest.raises(ValidationError):
        budgets.set_budget_line(actor=posts.officer, year=1999, area_code=TOWN, kind="subsidies", amount="1")
    with pytest.raises(ValidationError):
        budgets.set_budget_line(actor=posts.officer, year=2025, area_code=TOWN, kind="cars", amount="1")
    line = budget(posts.officer, TOWN, "1000.00")
    assert budget(posts.officer, TOWN, "1200.00").pk == line.pk     # set again: changed, not doubled
    _charge(posts.county_leader, "500.00", "a")
    with pytest.raises(ValidationError, match="500.00 spent already"):
        budget(posts.officer, TOWN, "400.00")
    with pytest.raises(Conflict):
        budgets.remove_budget_line(actor=posts.officer, line_id=line.pk)
    # A town post sees its own town's lines only.
    other = budget(posts.officer, OTHER_TOWN, "800.00")
    assert [line.area_id for line in budgets.budget_lines_in_scope(posts.worker)] == [TOWN]
    with pytest.raises(NotFound):
        budgets.get_budget_line(posts.worker, other.pk)
    budgets.remove_budget_line(actor=posts.officer, line_id=other.pk)


def test_a_charge_warns_then_is_blocked_without_a_leaders_approval(posts, county):
    with pytest.raises(ValidationError) as error:
        _charge(posts.county_leader, "10.00", "none")
    assert error.value.code == "no_budget_line" and "正定镇" in error.value.message
    budget(posts.officer, TOWN, "1000.00")
    first = _charge(posts.county_leader, "850.00", "one")
    assert first.created and first.warning == ""
    second = _charge(posts.county_leader, "60.00", "two")                 # 91 % ≥ the 0.90 warning share
    assert "91% spent" in second.warning and "runs out in 0 months" in second.warning
    assert _charge(posts.county_leader, "60.00", "two").created is False   # the same source: charged once
    with pytest.raises(Conflict):
        _charge(posts.county_leader, "61.00", "two")
    with pytest.raises(budgets.BudgetOverrun, match=r"has ¥90.00 left: this charge of ¥200.00 would pass it by ¥110.00"):
        _charge(posts.county_leader, "200.00", "three")
    with pytest.raises(PermissionDenied):          # the county officer does not approve an overrun
        budgets.approve_overrun(actor=posts.officer, area_code=TOWN, year=2025, kind="subsidies", source_kind="test",
                                source_key="three", amount="200.00", reason="突发灾情入户调查增加")
    with pytest.raises(ValidationError):           # a reason is required
        budgets.approve_overrun(actor=posts.county_leader, area_code=TOWN, year=2025, kind="subsidies",
                                source_kind="test", source_key="three", amount="200.00", reason=" ")
    budgets.approve_overrun(actor=posts.county_leader, area_code=TOWN, year=2025, kind="subsidies", source_kind="test",
                            source_key="three", amount="200.00", reason="突发灾情入户调查增加")
    done = _charge(posts.officer, "200.00", "three")
    assert done.charge.approved_by_id == posts.county_leader.user_id and done.charge.overrun.reason == "突发灾情入户调查增加"
    assert "Nothing is left" in done.warning
    with pytest.raises(NotFound):                  # another town's post charging this town
        _charge(posts.other_worker, "1.00", "four")
    assert BudgetCharge.objects.count() == 3


def test_spending_and_forecast(posts, county):
    budget(posts.officer, TOWN, "1200.00")
    budget(posts.officer, OTHER_TOWN, "1200.00", kind="work_expenses")
    _charge(posts.county_leader, "500.00", "a")                       # by October: 50 a month
    states = {s.line.area_id: s for s in budgets.spending(posts.officer, year=2025, on=ON)}
    assert states[TOWN].spent == Decimal("500.00") and states[TOWN].months_left == 14 and states[TOWN].state == "ok"
    assert [s.line.area_id for s in budgets.spending(posts.worker, year=2025, on=ON)] == [TOWN]
    monthly = budgets.monthly_spending(posts.officer, year=2025)
    assert monthly["subsidies"][9] == Decimal("500.00") and sum(monthly["work_expenses"]) == 0


@given(budget_=st.integers(1, 10**7), spent=st.integers(0, 10**7), months=st.integers(1, 12))
def test_months_left_never_outlasts_the_rest(budget_, spent, months):
    left = forecast.months_left(budget=Decimal(budget_), spent=Decimal(spent), months_elapsed=months)
    if spent >= budget_:
        assert left == 0
    elif spent == 0:
        assert left is None
    else:
        # at spent/months a month: left whole months fit in the rest, one more does not
        assert left * spent <= (budget_ - spent) * months < (left + 1) * spent


def test_a_run_past_a_towns_line_needs_the_leaders_reason(work, posts):
    budget(posts.officer, TOWN, "200.00")          # the town's run costs 230.00
    budget(posts.officer, OTHER_TOWN, "150.00")    # 140.00 of 150.00: warned
    run = subsidies.generate_subsidies(actor=posts.officer, county_code=COUNTY, month="2025-09")
    with pytest.raises(budgets.BudgetOverrun, match="would pass it by ¥30.00"):
        subsidy_runs.approve_subsidy_run(actor=posts.county_leader, run_id=run.pk, on=ON)
    assert not BudgetCharge.objects.exists()
    approved = subsidy_runs.approve_subsidy_run(actor=posts.county_leader, run_id=run.pk, on=ON,
                                                overrun_reason="九月评议会议增加")
    charge = BudgetCharge.objects.get(area_id=TOWN)
    assert charge.approved_by_id == posts.county_leader.user_id and charge.overrun.reason == "九月评议会议增加"
    assert any("新城铺镇" in w and "93% spent" in w for w in approved.budget_warnings)
    glance = overview.funding_at_a_glance(posts.county_leader, COUNTY, 2025, today=D(2025, 9, 30))
    assert glance["subsidies"]["month"]["total"] == Decimal("370.00") and glance["spent_total"] == Decimal("370.00")
    assert glance["lines"] == {"total": 2, "warned": 1, "exhausted": 1}


def test_an_unknown_kind_is_refused_naming_every_kind_medical_assistance_too(posts, county):
    """Stop 26's note: the message listed three kinds after medical assistance became a fourth."""
    from django.utils import translation

    with pytest.raises(ValidationError) as refused:
        budgets.set_budget_line(actor=posts.officer, year=2025, area_code=TOWN, kind="travel", amount="1")
    assert refused.value.field == "kind"
    assert str(refused.value) == ("Choose the kind of spending: work expenses, work subsidies, purchased services, "
                                  "medical assistance.")
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        budgets.set_budget_line(actor=posts.officer, year=2025, area_code=TOWN, kind="travel", amount="1")
    assert "医疗救助" in str(refused.value) and "、" in str(refused.value)
