"""Re-assessment of a county's enrollments after a real standard change (restandard.py): amounts
moved from the month in bulk, each month paid what it is due, households made ineligible proposed
for ending (never ended silently), an idempotent rerun, money already generated settled as a
decision's is, denial by role and area, the page, the API and the job."""
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from safetynet.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from safetynet.enrollments import restandard, restandard_tasks, schedule
from safetynet.payroll import services
from safetynet.enrollments.models import ChangeProposal, Enrollment, EnrollmentChange, EnrollmentTerm, Overpayment, TriggerSignal
from safetynet.payroll.models import Payment, PayrollRun
from tests.cases_helpers import make_poor_household
from tests.payments_helpers import D
from tests.conftest import COUNTY

OCT, NOV, DEC, JAN = D(2025, 10, 1), D(2025, 11, 1), D(2025, 12, 1), D(2026, 1, 1)
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}


def set_value(system, value, month=NOV, key="urban_standard", area=COUNTY):
    from safetynet.programs.services import set_parameter

    return set_parameter(actor=system, program_code="dibao", key=key, area_code=area, value=value, effective_from=month,
                         reason="县民政局通知")


def reassess(actor, month="2025-11", **kwargs):
    return restandard.reassess_after_standard_change(actor=actor, county_code=COUNTY, month=month, **kwargs)


def due(enrollment, *months):
    """What the payroll pays for each month (generation.due_amount_sql, through schedule.due_by_month)."""
    return [schedule.due_by_month(enrollment, list(months))[m] for m in months]


@pytest.fixture
def world(payroll):
    """The walked household (urban, 3 members, per-capita ¥300: ¥2,070 at ¥900) and a lone man of
    65 without income enrolled at ¥1,000 (the rule says ¥900 at ¥900: his amount rests on other facts)."""
    payroll.lone = payroll.enroll("1000.00")
    return payroll


def test_amounts_move_from_the_month_and_each_month_is_paid_what_it_is_due(world, system):
    """¥900 → ¥1,000 from November: the walked household (1000 − 300) × 3 + 30 % × 1,000 = ¥2,400
    (+330); the lone man keeps his own ¥1,000 plus the standard's ¥100. October stays as it was."""
    from safetynet.core.models import AuditEvent

    p = world
    row = set_value(system, "1000.00")
    result = reassess(p.posts.officer)
    assert (result["changed"], result["raised"], result["lowered"], result["to_review"]) == (2, 2, 0, 0)
    assert result["cost_before"] == "3070.00" and result["cost_after"] == "3500.00"
    assert due(p.base, OCT, NOV, DEC) == [Decimal("2070.00"), Decimal("2400.00"), Decimal("2400.00")]
    assert due(p.lone, OCT, NOV, JAN) == [Decimal("1000.00"), Decimal("1100.00"), Decimal("1100.00")]
    change = EnrollmentChange.objects.get(enrollment=p.base)
    assert change.kind == "standard" and change.effective_month == NOV
    assert (change.from_amount, change.to_amount) == (Decimal("2070.00"), Decimal("2400.00"))
    assert "2025-11" in change.reason and "¥900.00 → ¥1,000.00" in change.reason
    assert row.pk in change.assessment["standard_change"]["changed"]
    assert row.pk in change.assessment["standard_change"]["parameters"]
    assert list(EnrollmentTerm.objects.filter(enrollment=p.lone).values_list("from_month", "until_month", "amount")) == [
        (OCT, NOV, Decimal("1000.00")), (NOV, None, Decimal("1100.00"))]
    p.lone.refresh_from_db()
    assert p.lone.monthly_amount == Decimal("1100.00") and p.lone.status == "active"
    event = AuditEvent.objects.get(action="payments.reassess_after_standard_change")
    assert event.object_id == COUNTY and event.after["changed"] == 2 and event.after["parameters"] == [row.pk]
    # the payroll pays it: October at the old amounts, November at the new
    october = services.generate_payroll_run(actor=p.posts.officer, county_code=COUNTY, month="2025-10")
    november = services.generate_payroll_run(actor=p.posts.officer, county_code=COUNTY, month="2025-11")
    assert october.total_amount == Decimal("3070.00") and november.total_amount == Decimal("3500.00")


def test_a_household_made_ineligible_is_proposed_for_ending_not_ended(world, system):
    """¥250: per-capita ¥300 is above it: the walked household would leave. Its enrollment goes on
    at ¥2,070 and a proposal waits in the town's queue; confirming it ends the enrollment from
    November. The lone man: 1,000 + (250 − 900) = ¥350."""
    from safetynet.enrollments.triggers import confirm_proposal

    p = world
    set_value(system, "250.00")
    result = reassess(p.posts.officer)
    assert (result["changed"], result["lowered"], result["to_review"], result["proposals"]) == (1, 1, 1, 1)
    assert result["figures"]["leaving"] == {"count": 1, "amount": "2070.00"} and result["to_review_amount"] == "2070.00"
    p.base.refresh_from_db()
    assert p.base.status == "active" and due(p.base, NOV) == [Decimal("2070.00")]
    assert due(p.lone, NOV) == [Decimal("350.00")]
    proposal = ChangeProposal.objects.get()
    assert proposal.enrollment_id == p.base.pk and proposal.status == "pending" and proposal.kind == "standard"
    assert proposal.proposed_status == "ended" and proposal.effective_month == NOV
    assert "no longer eligible" in proposal.reason and "¥900.00 → ¥250.00" in proposal.reason
    assert proposal.signal.kind == "standard" and proposal.signal.handled
    from safetynet.enrollments.change_selectors import proposals_in_scope

    assert list(proposals_in_scope(p.posts.worker)) == [proposal]          # the town worker's queue
    assert not list(proposals_in_scope(p.posts.other_worker))
    confirm_proposal(actor=p.posts.worker, proposal_id=proposal.pk)
    p.base.refresh_from_db()
    assert due(p.base, OCT, NOV) == [Decimal("2070.00"), Decimal("0.00")]
    assert EnrollmentChange.objects.filter(enrollment=p.base, to_status="ended", kind="standard").exists()


def test_a_stale_proposal_is_refused_on_confirmation(world, system):
    """The county corrected the standard back: the household is eligible again, so confirming
    the proposal is refused (the town rejects it with that reason)."""
    from safetynet.enrollments.triggers import confirm_proposal

    p = world
    set_value(system, "250.00")
    reassess(p.posts.officer)
    set_value(system, "900.00")
    with pytest.raises(Conflict) as error:
        confirm_proposal(actor=p.posts.worker, proposal_id=ChangeProposal.objects.get().pk)
    assert error.value.code == "proposal_stale"


def test_running_again_changes_nothing_and_a_correction_moves_by_the_correction(world, system):
    p = world
    set_value(system, "1000.00")
    reassess(p.posts.officer)
    counts = (EnrollmentChange.objects.count(), EnrollmentTerm.objects.count(), ChangeProposal.objects.count())
    again = reassess(p.posts.officer)
    assert again["changed"] == 0 and again["unchanged"] == 2 and again["proposals"] == 0
    assert (EnrollmentChange.objects.count(), EnrollmentTerm.objects.count(), ChangeProposal.objects.count()) == counts
    assert due(p.base, NOV) == [Decimal("2400.00")] and due(p.lone, NOV) == [Decimal("1100.00")]
    set_value(system, "950.00")         # corrected for the same month: 1,000 → 950
    corrected = reassess(p.posts.officer)
    assert corrected["lowered"] == 2
    assert due(p.base, NOV) == [Decimal("2235.00")] and due(p.lone, NOV) == [Decimal("1050.00")]


def test_ineligible_twice_proposes_once(world, system):
    p = world
    set_value(system, "250.00")
    reassess(p.posts.officer)
    assert reassess(p.posts.officer)["proposals"] == 0
    assert ChangeProposal.objects.count() == TriggerSignal.objects.count() == 1


def test_an_amount_assessed_after_the_change_already_has_it(world, system, clock):
    """A re-check decided after the change was entered, from November, used the new values: left
    as it is (no second raise)."""
    from safetynet.enrollments import decisions

    p = world
    set_value(system, "1000.00")
    decisions.decide_on_enrollment(actor=p.posts.officer, enrollment_id=p.base.pk, kind="amount", reason="复核",
                                   effective_month="2025-11")
    assert due(p.base, NOV) == [Decimal("2400.00")]
    result = reassess(p.posts.officer)
    assert result["already"] == 1 and result["changed"] == 1
    assert due(p.base, NOV) == [Decimal("2400.00")]


def test_later_terms_keep_their_statuses(world, system):
    """A suspension decided from January stays; the amount it would resume at moves too."""
    p = world
    EnrollmentTerm.objects.create(enrollment=p.lone, from_month=OCT, until_month=JAN, status="active", amount=Decimal("1000.00"))
    EnrollmentTerm.objects.create(enrollment=p.lone, from_month=JAN, status="suspended", amount=Decimal("1000.00"))
    set_value(system, "1000.00")
    reassess(p.posts.officer)
    assert list(EnrollmentTerm.objects.filter(enrollment=p.lone).order_by("from_month")
                .values_list("from_month", "until_month", "status", "amount")) == [
        (OCT, NOV, "active", Decimal("1000.00")), (NOV, JAN, "active", Decimal("1100.00")),
        (JAN, None, "suspended", Decimal("1100.00"))]
    assert due(p.lone, DEC, JAN) == [Decimal("1100.00"), Decimal("0.00")]


def test_gradual_exit_is_kept(world, system):
    p = world
    exiting = p.enroll("600.00", status="gradual_exit")
    set_value(system, "1000.00")
    result = reassess(p.posts.officer)
    assert result["gradual_exit"] == 1 and due(exiting, NOV) == [Decimal("600.00")]
    assert not EnrollmentChange.objects.filter(enrollment=exiting).exists()


def test_the_rural_standard_leaves_urban_households_alone(world, system):
    p = world
    set_value(system, "2000.00", key="rural_standard")
    result = reassess(p.posts.officer)
    assert result["changed"] == 0 and result["unchanged"] == 2 and not EnrollmentChange.objects.exists()


def test_individual_coverage_is_assessed_alone(world, system):
    """A severely disabled member of a household above the standard (per-capita ¥950) covered
    alone (MLG-2021 art. 8) at the full standard ¥900 plus his 30 % increment: ¥1,170. At ¥1,000:
    ¥1,300, not the household's gap."""
    from safetynet.registry.models import Person

    p = world
    household = make_poor_household(p.posts.worker, p.village.code, wages="2850.00")
    member = Person.objects.filter(household=household).order_by("id")[1]
    Person.objects.filter(pk=member.pk).update(disability_type="physical", disability_grade=1)
    covered = Enrollment.objects.create(program_id="dibao", household=household, person=member, area=p.village, case=p.case,
                                        decision=p.case.decisions.first(), status="active",
                                        monthly_amount=Decimal("1170.00"), start_month=OCT,
                                        next_recheck_date=D(2026, 10, 1), bank_account="6217000000000099")
    set_value(system, "1000.00")
    reassess(p.posts.officer)
    assert due(covered, NOV) == [Decimal("1300.00")]


def test_a_draft_run_is_released_and_generated_again(world, system):
    p = world
    services.generate_payroll_run(actor=p.posts.officer, county_code=COUNTY, month="2025-10")
    run = services.generate_payroll_run(actor=p.posts.officer, county_code=COUNTY, month="2025-11")
    assert run.total_amount == Decimal("3070.00")
    set_value(system, "1000.00")
    result = reassess(p.posts.officer)
    assert result["released"] == 2 and not Payment.objects.filter(month=NOV).exists()
    run = services.generate_payroll_run(actor=p.posts.officer, county_code=COUNTY, month="2025-11")
    assert run.total_amount == Decimal("3500.00")


def test_an_approved_month_refuses_a_raise_and_records_a_cut_as_overpaid(world, system):
    p = world
    services.generate_payroll_run(actor=p.posts.officer, county_code=COUNTY, month="2025-10")
    run = services.generate_payroll_run(actor=p.posts.officer, county_code=COUNTY, month="2025-11")
    services.approve_payroll_run(actor=p.posts.county_leader, run_id=run.pk)
    set_value(system, "1000.00")
    with pytest.raises(Conflict) as error:
        reassess(p.posts.officer)
    assert error.value.code == "month_already_paid" and "2025-11" in error.value.message
    assert not EnrollmentChange.objects.exists() and not EnrollmentTerm.objects.filter(from_month=NOV).exists()
    set_value(system, "850.00")        # corrected to a cut: November was paid more than it is now due
    result = reassess(p.posts.officer)
    assert result["lowered"] == 2 and result["overpaid_months"] == 2
    over = {o.enrollment_id: o.amount for o in Overpayment.objects.all()}
    assert over == {p.base.pk: Decimal("165.00"), p.lone.pk: Decimal("50.00")}   # (850 − 300) × 3 + 255 = 1,905
    assert PayrollRun.objects.get(month=NOV).total_amount == Decimal("3070.00")     # the frozen run is untouched


def test_who_may_reassess(world, system, make_actor):
    from safetynet.areas.models import Area

    p = world
    set_value(system, "1000.00")
    for actor in (p.posts.worker, p.posts.leader, p.posts.county_leader, p.posts.inspector, p.posts.cadre):
        with pytest.raises(PermissionDenied):
            reassess(actor)
        with pytest.raises(PermissionDenied):
            restandard.preview_reassessment(actor=actor, county_code=COUNTY, month="2025-11")
    Area.objects.create(code="130124", name="栾城区", level="county", parent_id="1301")
    with pytest.raises(NotFound):
        reassess(make_actor("county_officer", "130124"))
    assert not EnrollmentChange.objects.exists()


@pytest.mark.parametrize("code,month,field", [
    ("130123100", "2025-11", "county"), (COUNTY, "11/2025", "month"), (COUNTY, "2025-12", "month"),
])
def test_bad_input(world, system, code, month, field):
    set_value(system, "1000.00")
    with pytest.raises(ValidationError) as error:
        restandard.reassess_after_standard_change(actor=world.posts.officer, county_code=code, month=month)
    assert error.value.field == field


def test_the_preview_changes_nothing(world, system):
    from safetynet.core.models import AuditEvent

    p = world
    set_value(system, "250.00")
    result = restandard.preview_reassessment(actor=p.posts.officer, county_code=COUNTY, month="2025-11")
    assert (result["changed"], result["lowered"], result["to_review"], result["applied"]) == (1, 1, 1, False)
    assert result["cost_before"] == "3070.00" and result["cost_after"] == "350.00"
    assert result["changes"][0]["area"] == COUNTY
    assert [(x["key"], x["old"], x["new"]) for x in result["changes"][0]["lines"]] == [("urban_standard", "¥900.00", "¥250.00")]
    assert not EnrollmentChange.objects.exists() and not ChangeProposal.objects.exists()
    assert AuditEvent.objects.filter(action="payments.preview_reassessment").count() == 1


def test_the_batch_is_written_in_bulk(world, system):
    """The statements of a run do not grow with the enrollments: 5, then 50."""
    p = world

    def run(n, month):
        Enrollment.objects.filter(status="active").update(status="ended")
        for _ in range(n):
            p.enroll("1000.00")
        set_value(system, "1000.00" if month == NOV else "1100.00", month=month)
        restandard.check_request(actor=p.posts.officer, county_code=COUNTY, month=month)   # the areas' cache warm
        with CaptureQueriesContext(connection) as queries:
            result = reassess(p.posts.officer, month=month.strftime("%Y-%m"))
        assert result["changed"] == n
        return [q["sql"] for q in queries.captured_queries]

    five, fifty = run(5, NOV), run(50, DEC)
    assert len(five) == len(fifty), "\n".join(q[:120] for q in five) + "\n----\n" + "\n".join(q[:120] for q in fifty)


def test_progress_by_chunk(world, system):
    p = world
    for _ in range(3):
        p.enroll("1000.00")
    set_value(system, "1000.00")
    seen = []
    reassess(p.posts.officer, chunk=2, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(2, 5), (4, 5), (5, 5)]
    from safetynet.core.models import AuditEvent

    assert AuditEvent.objects.filter(action="payments.reassess_after_standard_change").count() == 3


# ---------------------------------------------------------------------------------------------
# The page, the job and the API
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def jobs_here(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = IMMEDIATE


def test_the_standards_page_links_to_the_reassessment(world, system, login_site_language):
    from django.urls import reverse

    set_value(system, "1000.00")
    link = reverse("payments:restandard") + "?month=2025-11"
    page = login_site_language(world.posts.officer).get(reverse("programs:standards", args=["dibao"]))
    assert page.status_code == 200 and link in page.content.decode()
    assert link not in login_site_language(world.posts.worker).get(reverse("programs:standards", args=["dibao"])).content.decode()
    listed = login_site_language(world.posts.officer).get(reverse("payments:restandard")).content.decode()
    assert link in listed


def test_the_page_previews_then_applies(world, system, login_site_language, jobs_here):
    from django.urls import reverse

    p = world
    set_value(system, "250.00")
    officer = login_site_language(p.posts.officer)
    page = officer.get(reverse("payments:restandard") + "?month=2025-11")
    body = page.content.decode()
    assert page.status_code == 200 and "¥900.00 → <strong>¥250.00</strong>" in body and 'data-testid="preview"' in body
    started = officer.post(reverse("payments:restandard"), {"month": "2025-11", "action": "preview", "county": "999999"})
    assert started.status_code == 302                      # the post's own county, whatever the form says
    preview = officer.get(started.url).content.decode()
    assert 'data-testid="to-review">1<' in preview and 'data-testid="lowered">1<' in preview and 'data-testid="apply"' in preview
    assert not EnrollmentChange.objects.exists()
    applied = officer.post(reverse("payments:restandard"), {"month": "2025-11", "action": "apply"})
    done = officer.get(applied.url).content.decode()
    assert 'data-testid="restandard-done"' in done and 'data-testid="apply"' not in done
    assert EnrollmentChange.objects.count() == 1 and ChangeProposal.objects.count() == 1
    again = officer.post(reverse("payments:restandard"), {"month": "2025-11", "action": "preview"})
    assert 'data-testid="nothing-to-apply"' in officer.get(again.url).content.decode()


def test_the_page_refuses_others(world, system, login_site_language, make_actor, jobs_here):
    from django.urls import reverse

    from safetynet.areas.models import Area

    p = world
    set_value(system, "1000.00")
    for actor in (p.posts.worker, p.posts.county_leader, p.posts.inspector):
        client = login_site_language(actor)
        assert client.get(reverse("payments:restandard") + "?month=2025-11").status_code == 403
        assert client.post(reverse("payments:restandard"), {"month": "2025-11", "action": "apply"}).status_code == 403
    job = restandard_tasks.start_preview(actor=p.posts.officer, county_code=COUNTY, month="2025-11")
    Area.objects.create(code="130124", name="栾城区", level="county", parent_id="1301")
    other = login_site_language(make_actor("county_officer", "130124"))
    assert other.get(reverse("payments:restandard_job", args=[job.id])).status_code == 404
    refused = other.post(reverse("payments:restandard"), {"month": "2025-11", "action": "apply"})
    assert refused.status_code == 422 and not EnrollmentChange.objects.exists()     # nothing changes there from 2025-11
    bad = login_site_language(p.posts.officer).post(reverse("payments:restandard"), {"month": "2025-12", "action": "apply"})
    assert bad.status_code == 422 and 'data-testid="restandard-error"' in bad.content.decode()


def test_a_queued_job_reports_its_progress_and_a_refusal(world, system, settings, tmp_path):
    from safetynet.payroll import jobs
    from safetynet.enrollments.restandard_tasks import reassess_after_standard_change_job

    settings.DATA_DIR = tmp_path / "data"
    p = world
    set_value(system, "1000.00")
    job = restandard_tasks.start_reassessment(actor=p.posts.officer, county_code=COUNTY, month="2025-11")
    assert job.status == jobs.QUEUED and job.kind == "restandard" and job.params == {"month": "2025-11"}
    reassess_after_standard_change_job.call(job.id)
    job = jobs.load(job.id)
    assert job.status == jobs.DONE and job.done == job.total == 2 and job.result["changed"] == 2
    services.generate_payroll_run(actor=p.posts.officer, county_code=COUNTY, month="2025-10")
    run = services.generate_payroll_run(actor=p.posts.officer, county_code=COUNTY, month="2025-11")
    services.approve_payroll_run(actor=p.posts.county_leader, run_id=run.pk)
    set_value(system, "1100.00")
    job = restandard_tasks.start_reassessment(actor=p.posts.officer, county_code=COUNTY, month="2025-11")
    reassess_after_standard_change_job.call(job.id)
    job = jobs.load(job.id)
    assert job.status == jobs.FAILED and job.error_code == "month_already_paid"


def test_the_api(world, system, client, login_site_language, jobs_here, make_actor):
    from safetynet.areas.models import Area

    as_ = login_site_language

    def post(actor, path, body):
        return as_(actor).post(f"/api/v1/payments/restandard/{path}", body, content_type="application/json")

    p = world
    set_value(system, "1000.00")
    body = {"county": COUNTY, "month": "2025-11"}
    preview = post(p.posts.officer, "previews", body)
    assert preview.status_code == 202 and preview.json()["kind"] == "restandard_preview"
    assert preview.json()["result"]["changed"] == 2 and not EnrollmentChange.objects.exists()
    applied = post(p.posts.officer, "applications", body)
    assert applied.status_code == 202 and applied.json()["status"] == "done" and applied.json()["result"]["raised"] == 2
    followed = as_(p.posts.officer).get(applied.json()["url"])
    assert followed.status_code == 200 and followed.json()["result"]["changed"] == 2
    assert as_(p.posts.county_leader).get(applied.json()["url"]).status_code == 403
    assert post(p.posts.worker, "applications", body).status_code == 403
    assert post(p.posts.county_leader, "previews", body).status_code == 403
    Area.objects.create(code="130124", name="栾城区", level="county", parent_id="1301")
    other = make_actor("county_officer", "130124")
    assert post(other, "applications", body).status_code == 404
    assert as_(other).get(applied.json()["url"]).status_code == 404
    assert post(p.posts.officer, "applications", {"county": COUNTY, "month": "2025-12"}).status_code == 422
    assert post(p.posts.officer, "applications", {"county": COUNTY, "month": "11/2025"}).status_code == 422
    client.logout()
    assert client.post("/api/v1/payments/restandard/applications", body, content_type="application/json").status_code == 401
    assert EnrollmentChange.objects.count() == 2


def test_an_amount_the_registry_did_not_support_is_kept(world, system):
    """The lone man's registry says ¥1,500 of wages (ineligible at ¥900 and still at ¥1,000): his
    ¥1,000, decided on other facts, is neither raised nor cut by the standard; his re-check decides.
    At ¥1,600 the registry would give him ¥100: still kept, not lowered to it."""
    from safetynet.registry.models import IncomeItem

    p = world
    IncomeItem.objects.create(household_id=p.lone.household_id, person=None, category="wages", monthly_amount=Decimal("1500"))
    set_value(system, "1600.00")
    result = reassess(p.posts.officer)
    assert result["unsupported"] == 1 and result["changed"] == 1
    assert due(p.lone, NOV) == [Decimal("1000.00")]
