"""Manual medical reimbursement (issue 20 part 4; POLICY.md §4): a bill from a hospital that is not
designated, another province, or from before the person qualified, filed as a case (program
"medical"), accepted and reviewed by the town, approved by the county, which settles it with the
cashier's formula and annual cap (`settlements.settle_manual`) and records the Decision and its
letter, citing the regulation by name, in the same unit of work."""
from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from safetynet.cases import letters, selectors, steps, workflow
from safetynet.cases import services as case_services
from safetynet.cases.errors import TransitionNotAllowed
from safetynet.cases.models import Case, CaseEvent, Decision
from safetynet.core.audit import AuditEvent
from safetynet.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from safetynet.core.workdays import add_working_days
from safetynet.enrollments.models import Enrollment
from safetynet.medical import reimbursement, settlements
from safetynet.medical.models import PersonYear, ReimbursementBill, Settlement
from safetynet.medical.reimbursement_steps import STEPS as MEDICAL_STEPS
from safetynet.programs import legal
from tests.cases_helpers import D
from tests.medical_helpers import bill

REGULATION = "《关于健全重特大疾病医疗保险和救助制度的意见》"
BILL = {"treated_at": "北京协和医院", "not_settled_because": "out_of_province", "admitted_on": "2025-09-01",
        "discharged_on": "2025-09-10", "total_cost": "12000.00", "basic_insurance_paid": "6000.00",
        "critical_illness_paid": "1000.00", "eligible_self_paid": "4000.00", "ineligible_self_paid": "1000.00"}


def file(actor, person, **changes):
    return reimbursement.apply_for_reimbursement(actor=actor, household_id=person.household_id, person_id=person.pk,
                                                 **{**BILL, **changes})


def reviewed(posts, person, **changes) -> Case:
    """A reimbursement filed, accepted and given the town's opinion: it waits for the county."""
    case = file(posts.worker, person, **changes)
    case_services.accept_application(actor=posts.worker, case_id=case.pk)
    reimbursement.review_reimbursement(actor=posts.leader, case_id=case.pk, opinion="票据齐全，情况属实")
    return Case.objects.get(pk=case.pk)


def in_queue(actor, case_id: int) -> bool:
    return any(row.id == case_id for row in selectors.queue_for(actor, page_size=200).rows)


def test_the_full_path_settles_the_bill_and_records_the_decision(med, posts, clock):
    person = med.person("dibao")             # dibao: no deductible, 70 %, cap 30,000
    case = file(posts.worker, person)
    assert (case.program_id, case.path, case.status, case.next_action) == ("medical", "medical", "applied", "accept")
    assert case.requested_amount == Decimal("2800.00")          # the quote: 4,000 × 70 %
    assert case.covered_person_id == case.applicant_id == person.pk
    row = ReimbursementBill.objects.get(case=case)
    assert (row.treated_at, row.eligible_self_paid, row.area_id) == ("北京协和医院", Decimal("4000.00"), case.area_id)
    assert in_queue(posts.worker, case.pk) and not in_queue(posts.officer, case.pk)

    case_services.accept_application(actor=posts.worker, case_id=case.pk)
    case = Case.objects.get(pk=case.pk)
    limit = add_working_days(clock(), 10)                    # reimbursement_decision_days
    assert (case.status, case.next_action, case.next_due, case.case_due) == ("accepted", "review_reimbursement", limit, limit)

    reimbursement.review_reimbursement(actor=posts.leader, case_id=case.pk, opinion="票据齐全")
    case = Case.objects.get(pk=case.pk)
    assert (case.status, case.next_action, case.proposed_eligible, case.proposed_amount) == (
        "town_reviewed", "approve_reimbursement", True, Decimal("2800.00"))
    assert case.outcome["monthly_amount"] == "2800.00" and len(case.outcome["breakdown"]) == 7
    assert in_queue(posts.officer, case.pk) and not in_queue(posts.worker, case.pk)
    assert workflow.next_steps(case) == ["approve_reimbursement", "refuse_reimbursement"]

    decision = reimbursement.approve_reimbursement(actor=posts.officer, case_id=case.pk, version=case.version)
    case = Case.objects.get(pk=case.pk)
    settlement = Settlement.objects.get(case=case)
    assert (case.status, case.is_open, case.decided_on) == ("confirmed", False, clock())
    assert (settlement.source, settlement.status, settlement.assistance, settlement.person_id, settlement.visit_number) == (
        "manual", "settled", Decimal("2800.00"), person.pk, f"CASE-{case.pk}")
    assert (settlement.category_code, settlement.patient_pays) == ("dibao", Decimal("2200.00"))   # 4,000 + 1,000 − 2,800
    year = PersonYear.objects.get(person=person, year=2025)
    assert (year.eligible_total, year.assistance_total, year.settlements) == (Decimal("4000.00"), Decimal("2800.00"), 1)
    assert Decision.objects.get(case=case) == decision
    assert (decision.outcome, decision.monthly_amount, decision.decided_by) == ("approved", Decimal("2800.00"),
                                                                                 posts.officer.username)
    assert decision.assessment["monthly_amount"] == "2800.00"
    assert decision.assessment["details"]["settlement_id"] == settlement.pk
    assert decision.parameters["category"] == "dibao"
    assert list(CaseEvent.objects.filter(case=case).values_list("action", flat=True)) == [
        "apply", "accept", "review_reimbursement", "approve_reimbursement"]
    assert AuditEvent.objects.filter(action="medical.file_reimbursement").count() == 1
    assert AuditEvent.objects.filter(action="medical.settle_manual", object_id=str(settlement.pk)).count() == 1

    html = letters.decision_letter_html(case, decision)
    assert "医疗救助审批决定书" in html and REGULATION in html and "¥2,800.00" in html
    assert legal.internal_codes_in(html) == []
    assert person.id_number not in html


def test_the_cap_is_shared_with_one_stop_settlements(med, posts, clock):
    """A one-stop settlement at the cashier between filing and approval takes most of the cap:
    the approval gets only what is left (the same person-year lock and totals)."""
    person = med.person("dibao")
    case = reviewed(posts, person)
    assert case.proposed_amount == Decimal("2800.00")
    settlements.settle_bill(med.hospital, bill(person.id_number, total="45000.00", basic="0.00", critical="0.00",
                                               eligible="40000.00", ineligible="5000.00"))   # 28,000 of the 30,000
    decision = reimbursement.approve_reimbursement(actor=posts.officer, case_id=case.pk)
    settlement = Settlement.objects.get(case=case)
    assert (settlement.assistance, settlement.capped, settlement.remaining_cap) == (
        Decimal("2000.00"), True, Decimal("0.00"))
    assert decision.monthly_amount == Decimal("2000.00")
    assert PersonYear.objects.get(person=person, year=2025).assistance_total == Decimal("30000.00")
    capped = [line for line in decision.assessment["breakdown"] if "2,800.00" in line["rule"]]
    assert capped, decision.assessment["breakdown"]          # "limited by the annual cap: the rate gives ¥2,800.00"


def test_a_person_without_a_category_may_file_and_is_judged_when_the_county_decides(med, posts, clock, login):
    person = med.person(None)                # enrollment pending: in no category yet
    case = reviewed(posts, person)
    assert case.requested_amount == Decimal("4000.00")       # the eligible self-paid cost
    assert case.proposed_eligible is False and case.outcome["reasons"]
    page = login(posts.officer).get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'data-testid="quote-refusal"' in page and "no medical assistance category" in page
    with pytest.raises(ValidationError) as refused:
        reimbursement.approve_reimbursement(actor=posts.officer, case_id=case.pk)
    assert refused.value.code == "not_eligible"
    assert not Settlement.objects.filter(case=case).exists() and Case.objects.get(pk=case.pk).status == "town_reviewed"
    # The enrollment is confirmed meanwhile: the county approves under dibao.
    Enrollment.objects.create(program_id="dibao", household_id=person.household_id, area_id=person.area_id,
                              case=med.payroll.case, decision=med.payroll.case.decisions.first(), status="active",
                              monthly_amount=Decimal("500.00"), start_month=D(2025, 10, 1),
                              next_recheck_date=D(2026, 10, 1))
    decision = reimbursement.approve_reimbursement(actor=posts.officer, case_id=case.pk)
    assert decision.monthly_amount == Decimal("2800.00")


def test_a_refusal_writes_no_settlement_and_its_letter_cites_the_regulation(med, posts, clock):
    person = med.person("dibao")
    case = reviewed(posts, person)
    decision = case_services.refuse_case(actor=posts.officer, case_id=case.pk, reasons="发票与病历不符")
    case = Case.objects.get(pk=case.pk)
    assert (case.status, decision.outcome, decision.monthly_amount) == ("refused", "refused", Decimal("0"))
    assert decision.letter_due == add_working_days(clock(), 3)
    assert not Settlement.objects.filter(case=case).exists()
    assert not PersonYear.objects.filter(person=person, settlements__gt=0).exists()
    html = letters.decision_letter_html(case, decision)
    assert "不予批准" in html and REGULATION in html and "发票与病历不符" in html
    assert "家庭经济状况核对" not in html


def test_a_case_is_settled_once(med, posts, clock):
    person = med.person("special_hardship")  # 100 %
    case = reviewed(posts, person)
    reimbursement.approve_reimbursement(actor=posts.officer, case_id=case.pk)
    with pytest.raises(TransitionNotAllowed):
        reimbursement.approve_reimbursement(actor=posts.county_leader, case_id=case.pk)
    with pytest.raises(Conflict):
        settlements.settle_manual(case_id=case.pk, person_id=person.pk, data=ReimbursementBill.objects.get(case=case)
                                  .bill_data())
    assert Settlement.objects.filter(case=case).count() == 1 and Decision.objects.filter(case=case).count() == 1
    assert PersonYear.objects.get(person=person, year=2025).assistance_total == Decimal("4000.00")


@pytest.mark.parametrize("changes, field, code", [
    ({"total_cost": "12000.01"}, "total_cost", "bill_does_not_add_up"),
    ({"discharged_on": "2025-08-01"}, "discharged_on", "dates_out_of_order"),
    ({"discharged_on": "2025-10-01"}, "discharged_on", "date_in_future"),
    ({"eligible_self_paid": "4000.001"}, "eligible_self_paid", "money_decimals"),
    ({"basic_insurance_paid": "-1.00", "total_cost": "5999.00"}, "basic_insurance_paid", "negative_amount"),
    ({"treated_at": "  "}, "treated_at", None),
    ({"not_settled_because": "lost"}, "not_settled_because", None),
    ({"eligible_self_paid": "0.00", "ineligible_self_paid": "5000.00"}, "eligible_self_paid", "nothing_eligible"),
])
def test_a_bad_bill_is_refused_at_filing_naming_the_field(med, posts, clock, changes, field, code):
    person = med.person("dibao")
    with pytest.raises(ValidationError) as refused:
        file(posts.worker, person, **changes)
    assert refused.value.field == field
    if code:
        assert refused.value.code == code
    assert not Case.objects.filter(program_id="medical").exists() and not ReimbursementBill.objects.exists()


def test_the_patient_must_be_a_living_member_of_the_household(med, posts, clock):
    person, stranger = med.person("dibao"), med.person("dibao")
    with pytest.raises(ValidationError) as refused:
        reimbursement.apply_for_reimbursement(actor=posts.worker, household_id=person.household_id,
                                              person_id=stranger.pk, **BILL)
    assert (refused.value.field, refused.value.code) == ("person", "not_in_household")
    with pytest.raises(ValidationError) as refused:
        file(posts.worker, person, applicant_id=stranger.pk)
    assert refused.value.field == "applicant"
    assert not Case.objects.filter(program_id="medical").exists()


def test_one_open_reimbursement_per_patient(med, posts, clock):
    person = med.person("dibao")
    file(posts.worker, person)
    with pytest.raises(Conflict):
        file(posts.worker, person, treated_at="天津医科大学总医院")
    assert ReimbursementBill.objects.count() == 1


def test_another_towns_post_finds_nothing(med, posts, clock, api):
    person = med.person("dibao")
    with pytest.raises(NotFound):
        file(posts.other_worker, person)
    case = reviewed(posts, person)
    with pytest.raises(NotFound):
        reimbursement.review_reimbursement(actor=posts.other_leader, case_id=case.pk)
    client = api(posts.other_worker)
    assert client.get(f"/api/v1/medical/reimbursements/{case.pk}").status_code == 404
    assert client.get("/api/v1/medical/reimbursements").json()["count"] == 0
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 404


def test_a_town_post_cannot_approve_and_the_county_cannot_review(med, posts, clock, api):
    person = med.person("dibao")
    case = file(posts.worker, person)
    case_services.accept_application(actor=posts.worker, case_id=case.pk)
    with pytest.raises(PermissionDenied):
        reimbursement.review_reimbursement(actor=posts.officer, case_id=case.pk)
    reimbursement.review_reimbursement(actor=posts.worker, case_id=case.pk)
    for town_post in (posts.worker, posts.leader):
        with pytest.raises(PermissionDenied):
            reimbursement.approve_reimbursement(actor=town_post, case_id=case.pk)
        with pytest.raises(PermissionDenied):
            case_services.refuse_case(actor=town_post, case_id=case.pk, reasons="不符合")
    response = api(posts.worker).post(f"/api/v1/cases/{case.pk}/approve_reimbursement", {},
                                      content_type="application/json")
    assert response.status_code == 403
    assert not Settlement.objects.exists() and Case.objects.get(pk=case.pk).status == "town_reviewed"


def test_an_inspector_reads_and_writes_nothing(med, posts, clock, api, login):
    person = med.person("dibao")
    case = reviewed(posts, person)
    client = api(posts.inspector)
    assert client.get(f"/api/v1/medical/reimbursements/{case.pk}").status_code == 200
    assert client.get("/api/v1/medical/reimbursements").json()["count"] == 1
    response = client.post("/api/v1/medical/reimbursements", {"household": person.household_id, "person": person.pk,
                                                               **BILL}, content_type="application/json")
    assert response.status_code == 403
    response = client.post(f"/api/v1/cases/{case.pk}/approve_reimbursement", {}, content_type="application/json")
    assert response.status_code == 403
    with pytest.raises(PermissionDenied):
        reimbursement.approve_reimbursement(actor=posts.inspector, case_id=case.pk)
    page = login(posts.inspector)
    assert page.get(reverse("medical:reimbursements")).status_code == 200
    assert page.get(reverse("medical:reimbursement_new")).status_code == 403
    html = page.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'data-testid="medical-bill"' in html and 'data-testid="action-approve_reimbursement"' not in html
    assert not Settlement.objects.exists()


def test_the_steps_are_offered_on_the_case_page_and_taken_there(med, posts, clock, login):
    person = med.person("dibao")
    case = file(posts.worker, person)
    case_services.accept_application(actor=posts.worker, case_id=case.pk)
    client = login(posts.leader)
    html = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'data-testid="action-review_reimbursement"' in html and 'data-testid="quote"' in html
    assert "北京协和医院" in html and "¥2,800.00" in html
    case = Case.objects.get(pk=case.pk)
    response = client.post(reverse("cases:act", args=[case.pk, "review_reimbursement"]), {
        "review_reimbursement-version": case.version, "review_reimbursement-opinion": "票据齐全"})
    assert response.status_code == 302
    case = Case.objects.get(pk=case.pk)
    client = login(posts.officer)
    html = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'data-testid="action-approve_reimbursement"' in html and 'data-testid="approve-summary"' in html
    assert 'data-testid="action-refuse_reimbursement"' in html
    response = client.post(reverse("cases:act", args=[case.pk, "approve_reimbursement"]), {
        "approve_reimbursement-version": case.version, "approve_reimbursement-note": ""})
    assert response.status_code == 302
    html = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'data-testid="settlement"' in html and 'data-testid="quote"' not in html
    assert Case.objects.get(pk=case.pk).status == "confirmed"


def test_the_api_files_reads_and_moves_a_reimbursement(med, posts, clock, api):
    person = med.person("dibao")
    worker = api(posts.worker)
    body = {"household": person.household_id, "person": person.pk, **BILL}
    response = worker.post("/api/v1/medical/reimbursements", body, content_type="application/json")
    assert response.status_code == 201, response.json()
    data = response.json()
    case_id = data["case"]
    assert (data["status"], data["requested_amount"], data["quote"]["assistance"], data["quote"]["category"]) == (
        "applied", "2800.00", "2800.00", "dibao")
    bad = worker.post("/api/v1/medical/reimbursements", {**body, "total_cost": "1.00"}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["field"] == "total_cost"
    stranger = med.person("dibao")
    bad = worker.post("/api/v1/medical/reimbursements", {**body, "person": stranger.pk}, content_type="application/json")
    assert bad.status_code == 404 and bad.json()["field"] == "person"
    assert worker.post(f"/api/v1/cases/{case_id}/accept", {}, content_type="application/json").status_code == 200
    response = api(posts.leader).post(f"/api/v1/cases/{case_id}/review_reimbursement", {"opinion": "属实"},
                                      content_type="application/json")
    assert response.status_code == 200 and response.json()["next_action"] == "approve_reimbursement"
    response = api(posts.officer).post(f"/api/v1/cases/{case_id}/approve_reimbursement", {"note": ""},
                                       content_type="application/json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "confirmed" and response.json()["decisions"][0]["monthly_amount"] == "2800.00"
    data = api(posts.inspector).get(f"/api/v1/medical/reimbursements/{case_id}").json()
    assert data["quote"] is None and data["settlement"]["assistance"] == "2800.00"


def test_the_pages_list_and_file_reimbursements(med, posts, clock, login):
    person = med.person("dibao")
    client = login(posts.worker)
    assert client.get(reverse("medical:reimbursement_new") + "?q=" + person.name).status_code == 200
    url = reverse("medical:reimbursement_new") + f"?household={person.household_id}"
    assert client.get(url).status_code == 200
    form = {"household": person.household_id, "person": person.pk, "channel": "walk_in", **BILL}
    response = client.post(url, {**form, "total_cost": "100.00"})
    assert response.status_code == 422 and "does not add up" in response.content.decode()
    response = client.post(url, form)
    case = Case.objects.get(program_id="medical")
    assert response.status_code == 302 and response["Location"].startswith(reverse("cases:detail", args=[case.pk]))
    listing = client.get(reverse("medical:reimbursements")).content.decode()
    assert "北京协和医院" in listing and f"#{case.pk}" in listing
    assert "北京协和医院" not in login(posts.other_worker).get(reverse("medical:reimbursements")).content.decode()


def test_a_reimbursement_may_be_withdrawn_or_returned_to_the_town(med, posts, clock):
    person = med.person("dibao")
    case = reviewed(posts, person)
    case_services.return_for_supplement(actor=posts.officer, case_id=case.pk, reason="请补充发票原件")
    case = Case.objects.get(pk=case.pk)
    assert (case.status, case.next_action, case.outcome) == ("returned_for_supplement", "resume", None)
    case_services.resume_case(actor=posts.worker, case_id=case.pk)
    assert Case.objects.get(pk=case.pk).next_action == "review_reimbursement"
    case_services.withdraw_case(actor=posts.worker, case_id=case.pk, reason="申请人撤回")
    assert Case.objects.get(pk=case.pk).status == "withdrawn" and not Settlement.objects.exists()


def test_a_step_is_registered_once_before_the_pages_read_the_table():
    """The seam medical fills (cases/steps.py): its steps are in the one table, with the rows of
    cases' workflow; a late, repeated or unknown registration is refused."""
    assert {s.action for s in MEDICAL_STEPS} <= set(steps.STEPS)
    for step in MEDICAL_STEPS:
        assert steps.STEPS[step.action] is step and step.permission == workflow.ACTION_PERMISSION[step.action]
    with pytest.raises(ImproperlyConfigured):
        steps.register(MEDICAL_STEPS[0])
