"""Spot-check campaigns (issue 18 part 4) through the services: reproducible draws re-drawn from the
record, stratification by town with the close-relative and complained cases on top, the risk
weights, a wrong verdict opening one control complaint, error rates, and denial by role and area."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from safetynet.areas.models import Area
from safetynet.cases import services as case_services
from safetynet.cases.models import Case, Survey
from safetynet.core.errors import NotFound, PermissionDenied, ValidationError
from safetynet.oversight import spotchecks
from safetynet.oversight.anomaly_models import AnomalyFinding, AnomalyRun
from safetynet.oversight.complaints import ComplaintInput, file_complaint
from safetynet.oversight.models import Complaint, SpotCheckCampaign, SpotCheckItem
from safetynet.oversight.spotchecks import CampaignInput, RevisitInput
from tests.cases_helpers import D, OTHER_TOWN, TOWN, make_poor_household, walk

pytestmark = pytest.mark.django_db


@pytest.fixture
def county_enrolled(payroll):
    """31 live dibao enrollments: 21 in 正定镇 (the walked case's and 20 more), 10 in 新城铺镇."""
    payroll.many = [payroll.enroll("600.00") for _ in range(20)]
    payroll.many += [payroll.enroll("600.00", area=payroll.other_village) for _ in range(10)]
    return payroll


def enrollments_only(name="2025年第四季度抽查", **kw) -> CampaignInput:
    return CampaignInput(name=name, programs=["dibao"], include_cases=False, include_enrollments=True, **kw)


def start(actor, item, county="130123"):
    return spotchecks.start_campaign(actor, county_code=county, item=item)


def keys(campaign):
    return list(campaign.items.order_by("position").values_list("key", flat=True))


def test_the_same_seed_draws_the_same_sample_and_the_redraw_says_so(county_enrolled):
    officer = county_enrolled.posts.officer
    first = start(officer, enrollments_only(seed=20251022))
    second = start(officer, enrollments_only(name="再抽一次", seed="20251022"))
    assert first.seed == second.seed == "20251022"
    assert keys(first) == keys(second) and len(keys(first)) == first.drawn_size == 10   # ceil(31 × 30 %)
    check = spotchecks.redraw(first)
    assert check.matches and check.frame_intact and check.redrawn == check.recorded
    other = start(officer, enrollments_only(name="另一个种子", seed=7))
    assert keys(other) != keys(first)
    # A frame edited after the draw no longer has its fingerprint.
    SpotCheckCampaign.objects.filter(pk=first.pk).update(frame=first.frame[:-1])
    first.refresh_from_db()
    assert not spotchecks.redraw(first).frame_intact and not spotchecks.redraw(first).matches


def test_a_seed_is_generated_and_recorded_when_none_is_given(county_enrolled):
    campaign = start(county_enrolled.posts.officer, enrollments_only())
    assert campaign.seed.isdigit() and spotchecks.redraw(campaign).matches


def test_stratified_by_town_with_close_relatives_and_complaints_on_top(county_enrolled, clock):
    p = county_enrolled
    relative = walk(p.posts, make_poor_household(p.posts.worker, p.village.code), clock)
    Case.objects.filter(pk=relative.pk).update(is_close_relative=True)   # as the acceptance would have filed it
    relative_enrollment = relative.enrollments.get()
    complained = walk(p.posts, make_poor_household(p.posts.worker, p.village.code), clock).enrollments.get()
    file_complaint(p.posts.officer, ComplaintInput(
        channel="hotline", category="wrongly_paid", content="此户有车", enrollment_id=complained.pk))
    campaign = start(p.posts.officer, enrollments_only(ratio="0.10", seed=1))
    items = {i.key: i for i in campaign.items.all()}
    assert items[f"enrollment:{relative_enrollment.pk}"].reason == "close_relative"
    assert items[f"enrollment:{complained.pk}"].reason == "complaint"
    assert campaign.mandatory_size == 2 and campaign.population_size == 33
    assert campaign.drawn_size == 4                                        # ceil(33 × 10 %), on top of the 2
    assert campaign.allocation == {TOWN: 3, OTHER_TOWN: 1}                 # 21 and 10 left to draw from
    drawn = [i for i in items.values() if i.reason == "drawn"]
    assert {i.town_id for i in drawn} == {TOWN, OTHER_TOWN}
    assert len(items) == 6


def test_the_preview_shows_sizes_per_town_and_writes_nothing(county_enrolled):
    plan = spotchecks.plan_campaign(county_enrolled.posts.officer, county_code="130123",
                                    item=enrollments_only(size_method="confidence", confidence="0.95", margin="0.05",
                                                          seed=3))
    assert plan.size == 29                  # Cochran for N = 31: 384.1 / (1 + 383.1 / 31) = 28.7
    assert [(t.town, t.population, t.drawn) for t in plan.towns] == [(TOWN, 21, 20), (OTHER_TOWN, 10, 9)]   # 19.65 and 9.35
    assert not SpotCheckCampaign.objects.exists()


def test_risky_enrollments_weigh_more(county_enrolled):
    p = county_enrolled
    run = AnomalyRun.objects.create(area_id="130123", month=D(2025, 9, 1), status="done")
    risky = p.many[:5]
    for e in risky:
        AnomalyFinding.objects.create(run=run, kind="over_limits", fingerprint=f"over:{e.pk}", area_id=e.area_id,
                                      enrollment=e, found_at=dt.datetime(2025, 9, 20, tzinfo=dt.UTC))
    # an explained finding does not count
    AnomalyFinding.objects.create(run=run, kind="over_limits", fingerprint="old", area_id=p.many[6].area_id,
                                  enrollment=p.many[6], status="explained", found_at=dt.datetime(2025, 9, 20, tzinfo=dt.UTC))
    plan = spotchecks.plan_campaign(p.posts.officer, county_code="130123", item=enrollments_only(seed=1))
    weights = {m.key: m for m in plan.members}
    assert all("anomaly" in weights[f"enrollment:{e.pk}"].risks for e in risky)
    assert weights[f"enrollment:{risky[0].pk}"].weight == 4.0
    assert "anomaly" not in weights[f"enrollment:{p.many[6].pk}"].risks
    risky_keys = {f"enrollment:{e.pk}" for e in risky}
    hits = sum(len(risky_keys & set(spotchecks.plan_campaign(p.posts.officer, county_code="130123",
                                                             item=enrollments_only(seed=s)).keys)) for s in range(40))
    assert hits / 40 > 2.5      # 5 × 10/31 ≈ 1.6 without weights


def test_near_the_limit_and_short_surveys_are_risks(payroll, clock):
    p = payroll
    near = p.enroll("30.00")                                        # ¥30 a month: income nearly at the standard
    plan = spotchecks.plan_campaign(p.posts.officer, county_code="130123", item=enrollments_only(seed=1))
    members = {m.key: m for m in plan.members}
    assert "near_limit" in members[f"enrollment:{near.pk}"].risks
    assert "near_limit" not in members[f"enrollment:{p.base.pk}"].risks   # per-capita ¥300 against ¥900
    Survey.objects.filter(case_id=p.case.pk, kind="household").update(duration_minutes=12)
    plan = spotchecks.plan_campaign(p.posts.officer, county_code="130123", item=enrollments_only(seed=1))
    assert "short_survey" in {m.key: m for m in plan.members}[f"enrollment:{p.base.pk}"].risks


def test_town_confirmed_cases_in_the_period(posts, clock, standards, village, system, county):
    from safetynet.programs.services import set_parameter

    set_parameter(actor=system, program_code="dibao", key="confirmation_delegated", area_code=county.code, value=True,
                  effective_from=D(2025, 9, 1), reason="县民政局授权乡镇确认")
    case = walk(posts, make_poor_household(posts.worker, village.code), clock, to="notice_closed")
    case_services.confirm_case(actor=posts.leader, case_id=case.pk)
    case.refresh_from_db()
    assert case.decider_level == "town" and case.status == "confirmed"
    item = CampaignInput(name="乡镇确认抽查", programs=["dibao"], period_from=case.decided_on, period_to=case.decided_on)
    plan = spotchecks.plan_campaign(posts.officer, county_code="130123", item=item)
    [member] = plan.members                       # the case; its enrollment is checked with it
    assert member.key == f"case:{case.pk}" and member.enrollment_id and member.worker == posts.worker.username
    later = CampaignInput(name="x", programs=["dibao"], period_from=case.decided_on + dt.timedelta(days=1),
                          period_to=case.decided_on + dt.timedelta(days=30), include_enrollments=False)
    assert spotchecks.plan_campaign(posts.officer, county_code="130123", item=later).members == []


def test_a_wrong_verdict_opens_one_control_complaint_and_the_last_verdict_finishes(county_enrolled, clock):
    officer = county_enrolled.posts.officer
    campaign = start(officer, enrollments_only(ratio="0.05", seed=5))
    items = list(campaign.items.order_by("position"))
    assert len(items) == 2
    clock.advance(3)
    wrong = spotchecks.record_revisit(officer, item_id=items[0].pk, revisit=RevisitInput(
        visited_on=clock(), visitors="王科长、李干事", found="家中新购轿车一辆", verdict="should_not_receive"))
    complaint = wrong.complaint
    assert complaint.source_key == f"spot_check:{items[0].pk}" and complaint.channel == "control"
    assert complaint.category.code == "control_finding" and complaint.enrollment_id == items[0].enrollment_id
    again = spotchecks.record_revisit(officer, item_id=items[0].pk, revisit=RevisitInput(
        visited_on=clock(), visitors="王科长", found="复核：金额偏高", verdict="amount_wrong"))
    assert again.complaint_id == complaint.pk and Complaint.objects.filter(source_key__startswith="spot_check:").count() == 1
    campaign.refresh_from_db()
    assert campaign.status == "open"
    spotchecks.record_revisit(officer, item_id=items[1].pk, revisit=RevisitInput(
        visited_on=clock(), visitors="王科长", found="情况属实", verdict="correct"))
    campaign.refresh_from_db()
    assert campaign.status == "finished" and campaign.finished_on == clock()
    assert Complaint.objects.count() == 1


def test_a_revisit_refuses_bad_input(county_enrolled, clock):
    officer = county_enrolled.posts.officer
    item = start(officer, enrollments_only(seed=5)).items.first()
    for revisit, field in ((RevisitInput(clock() + dt.timedelta(days=1), "王", "x", "correct"), "visited_on"),
                           (RevisitInput(clock(), "", "x", "correct"), "visitors"),
                           (RevisitInput(clock(), "王", "  ", "correct"), "found"),
                           (RevisitInput(clock(), "王", "x", "maybe"), "verdict"),
                           (RevisitInput(clock(), "王\u0007", "x", "correct"), "visitors")):
        with pytest.raises(ValidationError) as refused:
            spotchecks.record_revisit(officer, item_id=item.pk, revisit=revisit)
        assert refused.value.field == field
    assert SpotCheckItem.objects.get(pk=item.pk).verdict == ""


def test_error_rates_by_town_and_worker(county_enrolled, clock):
    officer = county_enrolled.posts.officer
    campaign = start(officer, enrollments_only(seed=11))
    items = list(campaign.items.order_by("position"))
    verdicts = ["amount_wrong", "correct", "correct", "help_more"] + ["correct"] * (len(items) - 4)
    for item, verdict in zip(items, verdicts):
        spotchecks.record_revisit(officer, item_id=item.pk, revisit=RevisitInput(clock(), "王科长", "入户核查", verdict))
    rates = spotchecks.error_rates(campaign)
    assert rates.total.checked == len(items) and rates.total.wrong == 2
    by_town = {r.key: r for r in rates.towns}
    assert sum(r.wrong for r in by_town.values()) == 2
    assert sum(r.items for r in by_town.values()) == len(items)
    for town, rate in by_town.items():
        expected = sum(1 for i, v in zip(items, verdicts) if i.town_id == town and v != "correct")
        assert rate.wrong == expected and rate.rate == round(expected / rate.checked, 4)
    assert rates.verdicts["amount_wrong"] == 1 and rates.verdicts["help_more"] == 1
    [worker] = rates.workers      # every enrollment of the helper comes from the walked case
    assert worker.key == county_enrolled.posts.worker.username and worker.wrong == 2


def test_only_the_county_starts_a_campaign_and_another_county_sees_none(county_enrolled, make_actor, clock):
    p = county_enrolled
    for actor in (p.posts.worker, p.posts.leader, p.posts.inspector):
        with pytest.raises(PermissionDenied):
            start(actor, enrollments_only())
    with pytest.raises(PermissionDenied):
        start(p.posts.worker, enrollments_only(), county=TOWN)
    campaign = start(p.posts.officer, enrollments_only(seed=2))
    Area.objects.create(code="130124", name="高邑县", level="county", parent_id="1301")
    stranger = make_actor("county_officer", "130124")
    with pytest.raises(NotFound):
        start(stranger, enrollments_only())        # 130123 is outside its area
    with pytest.raises(NotFound):
        spotchecks.campaign_for(stranger, campaign.pk)
    item = campaign.items.first()
    with pytest.raises(NotFound):
        spotchecks.record_revisit(stranger, item_id=item.pk, revisit=RevisitInput(clock(), "王", "x", "correct"))
    with pytest.raises(PermissionDenied):
        spotchecks.record_revisit(p.posts.inspector, item_id=item.pk, revisit=RevisitInput(clock(), "王", "x", "correct"))
    assert spotchecks.campaign_for(p.posts.inspector, campaign.pk) == campaign       # inspectors read
    assert not spotchecks.campaigns_in_scope(p.posts.worker).exists()     # the county's, not a town's


def test_a_campaign_refuses_bad_input(county_enrolled):
    officer = county_enrolled.posts.officer
    for item, field in ((enrollments_only(name="  "), "name"),
                        (CampaignInput(name="x", programs=[]), "programs"),
                        (CampaignInput(name="x", programs=["medical"]), "programs"),
                        (CampaignInput(name="x", include_cases=False, include_enrollments=False), "include_cases"),
                        (CampaignInput(name="x", programs=["dibao"]), "period_from"),
                        (enrollments_only(ratio="1.5"), "ratio"),
                        (enrollments_only(size_method="confidence", margin="0.5"), "margin"),
                        (enrollments_only(seed="abc"), "seed")):
        with pytest.raises(ValidationError) as refused:
            start(officer, item)
        assert refused.value.field == field
    assert not SpotCheckCampaign.objects.exists()
    assert Decimal("0.30") == Decimal(start(officer, enrollments_only()).ratio)
