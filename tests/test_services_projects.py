"""Service projects (issue 19 part 5): a proposal from the public or a county design, its panel and
scores, the approval rule, funding within the budget, milestones, the households served and the
outcome report; every refusal with its reason, denial by role (403) and by area (404)."""
from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from safetynet.core.audit import verify_chain
from safetynet.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from safetynet.core.models import AuditEvent
from safetynet.services import project_selectors as selectors
from safetynet.services import projects as svc
from safetynet.services.project_models import ProjectStatus, ServiceProject
from safetynet.services.project_overview import projects_at_a_glance
from tests.cases_helpers import D, make_poor_household
from tests.conftest import COUNTY, OTHER_TOWN, TOWN

USCC = "91110000600037341L"


@pytest.fixture
def other_county(county):
    from safetynet.areas.models import Area

    return Area.objects.create(code="130124", name="栾城区", level="county", parent_id=COUNTY[:4])


def proposal(**changes) -> svc.ProjectInput:
    fields = dict(area_code=TOWN, title="独居老人助餐服务", description="为正定镇独居老人每周送餐三次，并上门探访。",
                  target_group="elderly", budget="120000.00", starts_on="2025-10-01", ends_on="2026-09-30",
                  proposer_name="正定县阳光社会工作服务中心", proposer_uscc=USCC, contact_name="李晓梅",
                  contact_phone="13812345678", contact_email="lixm@example.org")
    fields.update(changes)
    return svc.ProjectInput(**fields)


@pytest.fixture
def proposed(posts, clock):
    return svc.propose_project(proposal())


@pytest.fixture
def under_evaluation(posts, proposed):
    svc.set_panel(actor=posts.officer, project_id=proposed.project.pk,
                  user_ids=[posts.verifier.user_id, posts.county_leader.user_id])
    return proposed.project


def score_both(posts, project, a=80, b=70):
    svc.evaluate_project(actor=posts.verifier, project_id=project.pk, score=a, comment="需求明确，方案可行")
    svc.evaluate_project(actor=posts.county_leader, project_id=project.pk, score=b, comment="预算偏高，可以实施",
                         criteria={"need": 90, "value": 60})


def test_a_proposal_from_the_public_to_its_outcome(posts, clock, village):
    filed = svc.propose_project(proposal(title="  独居老人\u200b助餐服务 ", contact_phone="138 1234 5678"))
    project = filed.project
    assert project.status == ProjectStatus.PROPOSED and project.origin == "proposed"
    assert project.title == "独居老人助餐服务" and project.contact_phone == "13812345678"
    assert project.reference.startswith("XM20250922") and len(filed.token) > 20
    assert svc.project_by_token(filed.token).pk == project.pk
    assert project.county_id == COUNTY and project.area_id == TOWN

    svc.set_panel(actor=posts.officer, project_id=project.pk, user_ids=[posts.verifier.user_id, posts.county_leader.user_id])
    project.refresh_from_db()
    assert project.status == ProjectStatus.UNDER_EVALUATION
    assert list(selectors.evaluations_due(posts.county_leader)) == [project]
    score_both(posts, project)
    assert list(selectors.evaluations_due(posts.county_leader)) == []
    standing = svc.standing_of(project)
    assert standing.complete and standing.passes and standing.average == Decimal("75.00")

    approved = svc.approve_project(actor=posts.officer, project_id=project.pk, note="同意立项")
    assert approved.status == ProjectStatus.APPROVED and approved.decided_by_id == posts.officer.user_id
    assert approved.average_score == Decimal("75.00") and approved.pass_score == 60

    svc.fund_project(actor=posts.officer, project_id=project.pk, amount="60000.00", paid_on="2025-09-25")
    project.refresh_from_db()
    assert project.status == ProjectStatus.FUNDED and project.funded_total == Decimal("60000.00")
    svc.start_project(actor=posts.officer, project_id=project.pk)
    svc.fund_project(actor=posts.officer, project_id=project.pk, amount="40000", paid_on="2025-12-01")

    milestone = svc.add_milestone(actor=posts.officer, project_id=project.pk, title="完成需求摸底", due_on="2025-10-31")
    svc.complete_milestone(actor=posts.officer, project_id=project.pk, milestone_id=milestone.pk, done_on="2025-09-22",
                           evidence="摸底表 42 份，存镇民政办")

    households = [make_poor_household(posts.worker, village.code) for _ in range(3)]
    results = svc.add_beneficiaries(actor=posts.officer, project_id=project.pk, household_ids=[h.pk for h in households])
    assert all(r.added for r in results)

    report = svc.submit_outcome(actor=posts.officer, project_id=project.pk, text="全年送餐 4,000 余次，探访 600 次。")
    project.refresh_from_db()
    assert project.status == ProjectStatus.COMPLETED
    assert (report.households_served, report.people_served) == (3, 9)
    assert report.spent == Decimal("100000.00") and report.budget == Decimal("120000.00")

    actions = list(AuditEvent.objects.filter(object_type="services.serviceproject", object_id=str(project.pk))
                   .values_list("action", flat=True))
    assert actions == ["services.project_propose", "services.project_open_evaluation", "services.project_evaluate",
                       "services.project_evaluate", "services.project_approve", "services.project_fund",
                       "services.project_start", "services.project_fund", "services.project_add_milestone",
                       "services.project_complete_milestone", "services.project_add_beneficiaries",
                       "services.project_complete"]
    assert verify_chain() is None
    timeline = svc.public_timeline(project)
    assert [t["status"] for t in timeline] == ["proposed", "under_evaluation", "approved", "funded", "in_progress",
                                               "completed"]


@pytest.mark.parametrize("score", [101, -1, 1000])
def test_a_score_outside_the_scale_is_refused_naming_the_scale(posts, under_evaluation, score):
    with pytest.raises(ValidationError) as refused:
        svc.evaluate_project(actor=posts.verifier, project_id=under_evaluation.pk, score=score, comment="好")
    assert refused.value.field == "score" and refused.value.code == "score_outside_scale"
    assert "from 0 to 100" in refused.value.message and str(score) in refused.value.message
    assert not under_evaluation.evaluations.exists()


@pytest.mark.parametrize("score, code", [("59.5", "score_not_whole"), ("abc", "score_not_whole"), ("", "required"),
                                         (None, "required")])
def test_a_score_that_is_not_a_whole_number_is_refused(posts, under_evaluation, score, code):
    with pytest.raises(ValidationError) as refused:
        svc.evaluate_project(actor=posts.verifier, project_id=under_evaluation.pk, score=score, comment="好")
    assert refused.value.code == code


def test_a_criterion_score_outside_the_scale_and_an_empty_comment_are_refused(posts, under_evaluation):
    with pytest.raises(ValidationError) as refused:
        svc.evaluate_project(actor=posts.verifier, project_id=under_evaluation.pk, score=70, comment="好",
                             criteria={"need": 120})
    assert refused.value.field == "criteria.need" and "from 0 to 100" in refused.value.message
    with pytest.raises(ValidationError) as refused:
        svc.evaluate_project(actor=posts.verifier, project_id=under_evaluation.pk, score=70, comment="好",
                             criteria={"beauty": 1})
    assert refused.value.code == "unknown_criterion"
    with pytest.raises(ValidationError) as refused:
        svc.evaluate_project(actor=posts.verifier, project_id=under_evaluation.pk, score=70, comment=" \u200b ")
    assert refused.value.field == "comment"


def test_the_scale_is_the_areas_parameter(posts, under_evaluation, system):
    from safetynet.programs import services as program_services

    program_services.set_parameter(actor=system, program_code="workforce", key="project_score_max", area_code=COUNTY,
                                   value="10", effective_from=D(2025, 1, 1), reason="十分制")
    with pytest.raises(ValidationError) as refused:
        svc.evaluate_project(actor=posts.verifier, project_id=under_evaluation.pk, score=11, comment="好")
    assert "from 0 to 10" in refused.value.message
    assert svc.evaluate_project(actor=posts.verifier, project_id=under_evaluation.pk, score=10, comment="好").scale == 10


def test_one_score_per_member_and_only_members_score(posts, under_evaluation, make_actor, other_county):
    svc.evaluate_project(actor=posts.verifier, project_id=under_evaluation.pk, score=70, comment="好")
    with pytest.raises(Conflict):
        svc.evaluate_project(actor=posts.verifier, project_id=under_evaluation.pk, score=90, comment="改分")
    with pytest.raises(PermissionDenied):      # an evaluator not on this panel
        svc.evaluate_project(actor=posts.officer, project_id=under_evaluation.pk, score=90, comment="好")
    with pytest.raises(PermissionDenied):      # a town post scores nothing
        svc.evaluate_project(actor=posts.worker, project_id=under_evaluation.pk, score=90, comment="好")
    with pytest.raises(NotFound):              # another county's evaluator
        svc.evaluate_project(actor=make_actor("county_leader", "130124"), project_id=under_evaluation.pk, score=90,
                             comment="好")
    with pytest.raises(Conflict):              # a member who scored stays on the panel
        svc.set_panel(actor=posts.officer, project_id=under_evaluation.pk, user_ids=[posts.county_leader.user_id])


def test_approval_waits_for_every_score_and_is_refused_below_the_pass_score(posts, under_evaluation):
    svc.evaluate_project(actor=posts.verifier, project_id=under_evaluation.pk, score=65, comment="尚可")
    with pytest.raises(Conflict) as refused:
        svc.approve_project(actor=posts.officer, project_id=under_evaluation.pk)
    assert refused.value.code == "scores_missing" and "1 of the 2" in refused.value.message
    svc.evaluate_project(actor=posts.county_leader, project_id=under_evaluation.pk, score=54, comment="方案不具体")
    with pytest.raises(ValidationError) as refused:
        svc.approve_project(actor=posts.officer, project_id=under_evaluation.pk)
    assert refused.value.code == "below_pass_score"
    assert "59.50" in refused.value.message and "pass score of 60" in refused.value.message
    under_evaluation.refresh_from_db()
    assert under_evaluation.status == ProjectStatus.UNDER_EVALUATION
    with pytest.raises(PermissionDenied):      # an evaluator does not decide
        svc.reject_project(actor=posts.county_leader, project_id=under_evaluation.pk, reason="x")
    with pytest.raises(ValidationError):       # a rejection says why
        svc.reject_project(actor=posts.officer, project_id=under_evaluation.pk, reason=" ")
    rejected = svc.reject_project(actor=posts.officer, project_id=under_evaluation.pk, reason="评审平均分未达到立项分数线")
    assert rejected.status == ProjectStatus.REJECTED and rejected.average_score == Decimal("59.50")
    with pytest.raises(Conflict):
        svc.fund_project(actor=posts.officer, project_id=rejected.pk, amount="1.00", paid_on="2025-09-22")


def test_the_designer_neither_sits_on_the_panel_nor_scores(posts, clock, other_county):
    project = svc.design_project(actor=posts.officer, item=proposal(area_code=COUNTY, proposer_name="", proposer_uscc="",
                                                                    contact_name="", contact_phone="", contact_email=""))
    assert project.origin == "designed_by_county" and project.designed_by_id == posts.officer.user_id
    with pytest.raises(ValidationError) as refused:
        svc.set_panel(actor=posts.verifier, project_id=project.pk, user_ids=[posts.officer.user_id])
    assert refused.value.code == "designer_on_panel"
    with pytest.raises(ValidationError) as refused:     # a town post holds no evaluate permission
        svc.set_panel(actor=posts.officer, project_id=project.pk, user_ids=[posts.worker.user_id])
    assert refused.value.code == "not_an_evaluator"
    with pytest.raises(PermissionDenied):
        svc.design_project(actor=posts.county_leader, item=proposal())
    with pytest.raises(NotFound):
        svc.design_project(actor=posts.officer, item=proposal(area_code="130124"))


def test_funding_never_goes_above_the_budget(posts, under_evaluation, other_county):
    score_both(posts, under_evaluation)
    svc.approve_project(actor=posts.officer, project_id=under_evaluation.pk)
    svc.fund_project(actor=posts.officer, project_id=under_evaluation.pk, amount="100000.00", paid_on="2025-09-22")
    with pytest.raises(ValidationError) as refused:
        svc.fund_project(actor=posts.officer, project_id=under_evaluation.pk, amount="20000.01", paid_on="2025-09-23")
    assert refused.value.code == "over_budget" and "20000.00 is left" in refused.value.message
    for amount, code in (("1,000", "money_separator"), ("10.001", "money_decimals"), ("0", "zero_amount"),
                         ("-5", "negative")):
        with pytest.raises(ValidationError) as refused:
            svc.fund_project(actor=posts.officer, project_id=under_evaluation.pk, amount=amount, paid_on="2025-09-23")
        assert refused.value.code == code
    svc.fund_project(actor=posts.officer, project_id=under_evaluation.pk, amount="20000.00", paid_on="2025-09-23")
    with pytest.raises(IntegrityError), transaction.atomic():     # the database keeps it too
        ServiceProject.objects.filter(pk=under_evaluation.pk).update(funded_total=Decimal("120000.01"))
    rows = selectors.fundings_between(COUNTY, D(2025, 9, 1), D(2025, 9, 30), actor=posts.officer)
    assert [(r["amount"], r["area"], r["reference"]) for r in rows] == [
        (Decimal("100000.00"), TOWN, under_evaluation.reference), (Decimal("20000.00"), TOWN, under_evaluation.reference)]
    assert selectors.fundings_between(COUNTY, D(2025, 10, 1), D(2025, 10, 31)) == []
    with pytest.raises(NotFound):
        selectors.fundings_between("130124", D(2025, 9, 1), D(2025, 9, 30), actor=posts.officer)


def test_households_outside_the_projects_area_are_refused_each_with_its_reason(posts, under_evaluation, village,
                                                                                 other_village):
    score_both(posts, under_evaluation)
    svc.approve_project(actor=posts.officer, project_id=under_evaluation.pk)
    here = make_poor_household(posts.worker, village.code)
    there = make_poor_household(posts.other_worker, other_village.code)
    results = svc.add_beneficiaries(actor=posts.officer, project_id=under_evaluation.pk,
                                    household_ids=[here.pk, there.pk, here.pk, 987654])
    assert [(r.household_id, r.added, r.code) for r in results] == [
        (here.pk, True, ""), (there.pk, False, "outside_area"), (here.pk, False, "duplicate"),
        (987654, False, "not_found")]
    again = svc.add_beneficiaries(actor=posts.officer, project_id=under_evaluation.pk, household_ids=[here.pk])
    assert again[0].code == "already"
    assert [r["household_id"] for r in selectors.beneficiary_rows(under_evaluation)] == [here.pk]
    assert selectors.beneficiary_rows(under_evaluation)[0]["head"].endswith("*")


def test_bad_proposals_are_refused_by_field(posts, clock):
    cases = [
        (dict(proposer_uscc="91110000600037341M"), "proposer_uscc", "uscc_checksum"),
        (dict(proposer_uscc="12345"), "proposer_uscc", "uscc_length"),
        (dict(proposer_uscc=""), "proposer_uscc", "required"),
        (dict(budget="12,000"), "budget", "money_separator"),
        (dict(budget="1e5"), "budget", "money_exponent"),
        (dict(budget="0"), "budget", "zero_budget"),
        (dict(budget="十万"), "budget", "invalid_money"),
        (dict(ends_on="2025-01-01"), "ends_on", "period_reversed"),
        (dict(contact_phone="call me"), "contact_phone", "invalid_phone"),
        (dict(contact_email="not-an-email"), "contact_email", "invalid_email"),
        (dict(target_group="aliens"), "target_group", "invalid"),
        (dict(target_group="other", target_note=""), "target_note", "invalid"),
        (dict(title="a\x07b"), "title", "control_character"),
        (dict(contact_name=""), "contact_name", "invalid"),
        (dict(area_code=f"{TOWN}201"), "area", "wrong_level"),
    ]
    for changes, field, code in cases:
        with pytest.raises(ValidationError) as refused:
            svc.propose_project(proposal(**changes))
        assert (refused.value.field, refused.value.code) == (field, code), changes
    with pytest.raises(NotFound):
        svc.propose_project(proposal(area_code="999999"))
    assert not ServiceProject.objects.exists()


def test_a_town_reads_its_own_towns_projects_only(posts, proposed, clock):
    county_wide = svc.design_project(actor=posts.officer, item=proposal(area_code=COUNTY, proposer_name=""))
    assert set(selectors.projects_in_scope(posts.worker)) == {proposed.project}
    assert set(selectors.projects_in_scope(posts.officer)) == {proposed.project, county_wide}
    assert set(selectors.projects_in_scope(posts.other_worker)) == set()
    with pytest.raises(NotFound):
        selectors.get_project(posts.other_worker, proposed.project.pk)
    with pytest.raises(NotFound):
        selectors.get_project(posts.worker, county_wide.pk)
    with pytest.raises(PermissionDenied):
        svc.approve_project(actor=posts.worker, project_id=proposed.project.pk)
    with pytest.raises(PermissionDenied):
        selectors.projects_in_scope(posts.grid)
    assert list(selectors.projects_in_scope(posts.officer, q=proposed.project.reference)) == [proposed.project]
    assert list(selectors.projects_in_scope(posts.officer, q="阳光")) == [proposed.project]


def test_contact_data_is_masked_for_posts_that_do_not_manage_projects(posts, proposed):
    project = proposed.project
    whole = selectors.contact_of(posts.officer, project)
    assert (whole.name, whole.phone, whole.email, whole.masked) == ("李晓梅", "13812345678", "lixm@example.org", False)
    for reader in (posts.county_leader, posts.worker, posts.inspector):
        masked = selectors.contact_of(reader, project)
        assert (masked.name, masked.phone, masked.email, masked.masked) == ("李晓*", "138****5678", "l***@example.org",
                                                                           True)


def test_the_proposer_follows_with_the_token_and_reads_no_staff_data(posts, under_evaluation, proposed):
    score_both(posts, under_evaluation, 37, 43)
    svc.reject_project(actor=posts.officer, project_id=under_evaluation.pk, reason="服务对象与现有项目重复")
    view = svc.public_view(svc.project_by_token(proposed.token))
    assert view.status == "rejected" and view.answer == "服务对象与现有项目重复"
    text = repr(view)
    for secret in ("需求明确", "预算偏高", posts.verifier.username, posts.county_leader.username, posts.officer.username,
                   "37", "43"):
        assert secret not in text
    for token in ("", "short", proposed.token + "x"):
        with pytest.raises(NotFound):
            svc.project_by_token(token)


def test_the_counties_projects_at_a_glance(posts, under_evaluation, village, clock, other_county):
    score_both(posts, under_evaluation)
    svc.approve_project(actor=posts.officer, project_id=under_evaluation.pk)
    svc.fund_project(actor=posts.officer, project_id=under_evaluation.pk, amount="50000.00", paid_on="2025-09-22")
    household = make_poor_household(posts.worker, village.code)
    svc.add_beneficiaries(actor=posts.officer, project_id=under_evaluation.pk, household_ids=[household.pk])
    svc.propose_project(proposal(area_code=OTHER_TOWN))
    glance = projects_at_a_glance(posts.officer, COUNTY, 2025)
    assert glance["projects"] == 2 and glance["by_status"]["funded"] == 1 and glance["by_status"]["proposed"] == 1
    assert glance["approved_budget"] == Decimal("120000.00") and glance["funded"] == Decimal("50000.00")
    assert (glance["households_served"], glance["people_served"]) == (1, 3)
    town = projects_at_a_glance(posts.other_worker, COUNTY, 2025)
    assert town["projects"] == 1 and town["funded"] == Decimal("0.00")
    assert projects_at_a_glance(posts.officer, COUNTY, 2024)["projects"] == 0
    with pytest.raises(NotFound):
        projects_at_a_glance(posts.officer, "130124", 2025)
    with pytest.raises(PermissionDenied):
        projects_at_a_glance(posts.grid, COUNTY, 2025)


def test_the_demo_builds_each_state_through_the_services(posts, clock, village):
    from safetynet.services.project_demo import build_projects_demo

    for _ in range(3):
        make_poor_household(posts.worker, village.code)
    actors = {"county_officer": posts.officer, "county_leader": posts.county_leader, "town_worker": posts.worker}
    counts = build_projects_demo(actors.__getitem__, clock())
    assert (counts["beneficiaries"], counts["people_served"]) == (3, 9)
    statuses = dict(ServiceProject.objects.values_list("pk", "status"))
    assert statuses == {counts["designed"]: "completed", counts["approved"]: "approved", counts["rejected"]: "rejected"}
    designed = ServiceProject.objects.get(pk=counts["designed"])
    assert designed.funded_total == Decimal("88000.00") and designed.milestones.filter(done_on__isnull=False).count() == 3
    assert verify_chain() is None
