"""Policy simulation (issue 5 part 4): who enters, leaves and changes amount, and the monthly
cost before and after, over the county's real enrollments and registry, changing nothing."""
from decimal import Decimal

import pytest

from safetynet.core.errors import NotFound, PermissionDenied, ValidationError
from safetynet.enrollments.simulation import simulate_policy
from tests.payments_helpers import D, make_poor_household
from tests.conftest import COUNTY


def simulate(actor, key="urban_standard", value="900.00", month="2025-11", **kwargs):
    return simulate_policy(actor=actor, county_code=COUNTY, program="dibao", key=key, value=value, month=month, **kwargs)


@pytest.fixture
def county_world(payroll):
    """The walked household (urban, per-capita ¥300, paid ¥2,070.00), a household enrolled at
    ¥1,000 whose registry facts say ¥900 (a lone 65-year-old), a suspended one, and two poor
    households that never applied: one eligible today (per-capita ¥300), one just above the
    standard (per-capita ¥950)."""
    p = payroll
    p.out_of_step = p.enroll("1000.00")
    p.suspended = p.enroll("500.00", status="suspended")
    p.never_applied = make_poor_household(p.posts.worker, p.village.code)
    p.near = make_poor_household(p.posts.worker, p.village.code, wages="2850.00")
    return p


def test_the_value_in_force_changes_nothing(county_world):
    from safetynet.enrollments.models import Enrollment
    from safetynet.payroll.models import Payment

    before = list(Enrollment.objects.order_by("id").values_list("id", "status", "monthly_amount"))
    result = simulate(county_world.posts.county_leader, value="900.00")
    assert result["entering"]["count"] == result["leaving"]["count"] == 0
    assert result["raised"]["count"] == result["lowered"]["count"] == 0
    assert result["cost_before"] == result["cost_after"] == "3070.00"   # 2,070 + 1,000; the suspended one is not paid
    assert result["paid_before"] == result["paid_after"] == 2 and result["unchanged"] == 2 and result["not_paid"] == 1
    assert result["eligible_not_enrolled"] == {"count": 1, "amount": "2070.00"}
    assert result["current_value"] == "¥900.00" and result["new_value"] == "900.00"
    assert list(Enrollment.objects.order_by("id").values_list("id", "status", "monthly_amount")) == before
    assert not Payment.objects.exists()


def test_what_is_paid_is_what_the_payroll_would_pay_for_the_month(county_world):
    """The amount in force for the month (an amount decided from a later month, a suspension
    for the month), as the payroll's own expression says."""
    from safetynet.enrollments.models import EnrollmentTerm

    p = county_world
    EnrollmentTerm.objects.create(enrollment=p.out_of_step, from_month=D(2025, 10, 1), until_month=D(2025, 12, 1),
                                  status="active", amount=Decimal("1000.00"))
    EnrollmentTerm.objects.create(enrollment=p.out_of_step, from_month=D(2025, 12, 1), status="active", amount=Decimal("1200.00"))
    EnrollmentTerm.objects.create(enrollment=p.base, from_month=D(2025, 10, 1), until_month=D(2025, 12, 1),
                                  status="active", amount=Decimal("2070.00"))
    EnrollmentTerm.objects.create(enrollment=p.base, from_month=D(2025, 12, 1), status="suspended", amount=Decimal("2070.00"))
    november = simulate(p.posts.county_leader, month="2025-11")
    assert november["cost_before"] == "3070.00" and november["not_paid"] == 1
    december = simulate(p.posts.county_leader, month="2025-12")
    assert december["cost_before"] == "1200.00" and december["paid_before"] == 1 and december["not_paid"] == 2


def test_raising_the_urban_standard(county_world):
    """¥1,000: the walked household (1000 − 300) × 3 + 30 % × 1,000 = ¥2,400 (+330); the lone
    65-year-old (rule ¥900 → ¥1,000) keeps his own ¥1,000 plus the ¥100; the household at ¥950 a
    head enters at (1000 − 950) × 3 + 300 = ¥450; the one eligible today is not counted as entering."""
    result = simulate(county_world.posts.county_leader, value="1000.00")
    assert result["entering"] == {"count": 1, "amount": "450.00"}
    assert result["raised"] == {"count": 2, "amount": "430.00"}
    assert result["leaving"]["count"] == 0 and result["lowered"]["count"] == 0
    assert result["cost_before"] == "3070.00" and result["cost_after"] == "3950.00" and result["cost_change"] == "880.00"
    assert result["eligible_not_enrolled"] == {"count": 1, "amount": "2400.00"}
    town = result["by_town"][0]
    assert town["town"] == "130123100" and town["before"] == "3070.00" and town["after"] == "3950.00"
    assert town["entering"] == 1 and town["changed"] == 2


def test_lowering_the_standard_makes_households_leave(county_world):
    """¥250: per-capita ¥300 is above it (and no member is disabled or ill): the walked household
    leaves; the lone 65-year-old without income (no increment before 70) stays at 1,000 + (250 − 900) = ¥350."""
    result = simulate(county_world.posts.county_leader, value="250.00")
    assert result["leaving"] == {"count": 1, "amount": "2070.00"}
    assert result["lowered"] == {"count": 1, "amount": "-650.00"}
    assert result["cost_after"] == "350.00" and result["paid_after"] == 1


def test_the_rural_standard_leaves_urban_households_alone(county_world):
    result = simulate(county_world.posts.county_leader, key="rural_standard", value="2000.00")
    assert result["entering"]["count"] == result["leaving"]["count"] == result["raised"]["count"] == 0
    assert result["cost_after"] == result["cost_before"]


def test_an_asset_limit(county_world):
    """Deposits of ¥30,000 are within 24 × 900 × 3 = ¥64,800 but not within 10 × 900 × 3."""
    from safetynet.registry.services import set_assets

    p = county_world
    set_assets(actor=p.posts.worker, household_id=p.base.household_id,
               items=[{"category": "deposit", "value": "30000.00", "person_id": None}])
    assert simulate(p.posts.officer, key="financial_asset_multiple", value="24")["leaving"]["count"] == 0
    result = simulate(p.posts.officer, key="financial_asset_multiple", value="10")
    assert result["leaving"] == {"count": 1, "amount": "2070.00"}


def test_an_increment(county_world):
    """The minor's increment 30 % → 50 % of ¥900: +¥180 for the walked household."""
    result = simulate(county_world.posts.county_leader, key="increment_ratio_minor", value="0.5")
    assert result["raised"] == {"count": 1, "amount": "180.00"} and result["current_value"] == "30 %"


def test_the_facts_are_those_of_a_case_snapshot(county_world):
    """The set-based facts give the rule the same answer as the household's snapshot would."""
    from safetynet.areas.models import Area
    from safetynet.cases.snapshots import facts_from_snapshot, take_household_snapshot
    from safetynet.enrollments.simulation import chunk_facts, household_chunks
    from safetynet.programs import rules
    from safetynet.programs.selectors import dibao_parameters
    from safetynet.registry.models import Household, IncomeItem
    from safetynet.registry.services import set_assets

    p = county_world
    IncomeItem.objects.create(household_id=p.near.pk, person=None, category="excluded_scholarship", monthly_amount=Decimal("800"))
    IncomeItem.objects.create(household_id=p.near.pk, person=None, category="pension", monthly_amount=Decimal("120.50"))
    set_assets(actor=p.posts.worker, household_id=p.near.pk, items=[
        {"category": "vehicle", "value": "30000.00", "quantity": 1, "is_exempt": True},
        {"category": "home", "value": "0", "quantity": 1}, {"category": "deposit", "value": "1234.56"}])
    month = D(2025, 11, 1)
    urban = {c: k.startswith("1") for c, k in Area.objects.filter(level="village").values_list("code", "urban_rural_class")}
    params = dibao_parameters(p.village.code, month)
    checked = 0
    for chunk in household_chunks(COUNTY, chunk=2):
        for household_id, _area, facts in chunk_facts(chunk, urban, month):
            snapshot = take_household_snapshot(Household.objects.get(pk=household_id))
            expected = rules.assess_dibao(facts_from_snapshot(snapshot, month), params)
            got = rules.assess_dibao(facts, params)
            assert (got.eligible, got.monthly_amount, got.details["per_capita_income"]) == \
                (expected.eligible, expected.monthly_amount, expected.details["per_capita_income"])
            assert facts.assets == facts_from_snapshot(snapshot, month).assets
            checked += 1
    assert checked == Household.objects.count() == 5


def test_progress_and_audit(county_world):
    from safetynet.core.models import AuditEvent

    seen = []
    simulate(county_world.posts.officer, value="950.00", chunk=2, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(2, 5), (4, 5), (5, 5)]
    event = AuditEvent.objects.filter(action="payments.simulate_policy").get()
    assert event.object_id == COUNTY and event.after["key"] == "urban_standard" and event.after["value"] == "950.00"


def test_who_may_simulate(county_world, make_actor):
    p = county_world
    for actor in (p.posts.worker, p.posts.leader, p.posts.inspector, p.posts.grid):
        with pytest.raises(PermissionDenied):
            simulate(actor)
    from safetynet.areas.models import Area

    Area.objects.create(code="130124", name="栾城区", level="county", parent_id="1301")
    other = make_actor("county_officer", "130124")    # another county's officer: this county does not exist for him
    with pytest.raises(NotFound):
        simulate(other)
    with pytest.raises(ValidationError) as error:
        simulate_policy(actor=p.posts.officer, county_code="130123100", program="dibao", key="urban_standard",
                        value="900", month="2025-11")
    assert error.value.field == "county"


@pytest.mark.parametrize("field,kwargs", [
    ("program", {"program": "special_hardship"}),
    ("key", {"key": "notice_days"}),
    ("key", {"key": "no_such_key"}),
    ("value", {"value": "abc"}),
    ("value", {"value": "-5"}),
    ("month", {"month": "11/2025"}),
])
def test_bad_input(county_world, field, kwargs):
    args = {"actor": county_world.posts.county_leader, "county_code": COUNTY, "program": "dibao",
            "key": "urban_standard", "value": "900", "month": "2025-11", **kwargs}
    with pytest.raises(ValidationError) as error:
        simulate_policy(**args)
    assert error.value.field == field
