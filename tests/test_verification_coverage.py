"""A verification report says what it knew (issue 15, item 1): per dataset, whether a snapshot was
there, its date and age, and whether the household matched in it. Built on missing or out-of-date
data it says so at the top (in both languages), is never called clean, and its sign-off — which
then files it on the waiting case — needs a reason for each such dataset (service, page, API)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from safetynet.core.errors import ValidationError
from tests.cases_helpers import walk
from tests.verification_helpers import STRANGER_ID, import_other_datasets, import_rows

ALL_CLEAR_EN = "No flag: what the departments report is within the limits."
ALL_CLEAR_ZH = "无疑点：各部门报告的情况均在限额以内"
EN = {"headers": {"Accept-Language": "en"}}


@pytest.fixture
def case(vdata, posts, standards, clock, poor_household):
    """The poor household's case, waiting for its verification."""
    return walk(posts, poor_household, clock, to="surveyed")


def verify(posts, case):
    from safetynet.verification.services import verify_household

    return verify_household(actor=posts.officer, household_id=case.household_id, case_id=case.pk)


def read_datasets():
    from safetynet.verification.coverage import read_datasets

    return read_datasets()


# --- the rule, pure ------------------------------------------------------------------------------

def test_age_up_to_the_limit_is_fresh_beyond_it_out_of_date():
    from safetynet.verification.coverage import FRESH, MISSING, STALE, assess_coverage

    as_of = dt.date(2026, 6, 30)
    limits = {"data_max_age_civil": 31, "data_max_age_income": 62, "data_max_age_finance": 92, "data_max_age_property": 183}
    snapshots = {"deposits": (1, as_of - dt.timedelta(days=92)), "securities": (2, as_of - dt.timedelta(days=93)),
                 "vehicles": (3, as_of - dt.timedelta(days=93))}
    findings = [{"source": "vehicles", "person_id": 7}, {"source": "vehicles", "person_id": 7},
                {"source": "vehicles", "person_id": 8}]
    coverage = {c.dataset: c for c in assess_coverage(snapshots, as_of=as_of, limits=limits, findings=findings)}
    assert set(coverage) == set(read_datasets())
    assert coverage["deposits"].state == FRESH and coverage["deposits"].age_days == 92
    assert coverage["securities"].state == STALE and coverage["securities"].max_age_days == 92
    assert coverage["vehicles"].state == FRESH and (coverage["vehicles"].records, coverage["vehicles"].members) == (3, 2)
    assert coverage["hrss_wages"].state == MISSING and coverage["hrss_wages"].taken_on is None


# --- nothing received: not clean, and says which datasets are missing -----------------------------

@pytest.mark.django_db
def test_a_report_with_no_dataset_is_not_clean_and_names_each_missing_one(case, posts, client_for):
    from safetynet.cases.models import Case, VerificationReport
    from safetynet.verification.coverage import MISSING
    from safetynet.verification.reports import report_html, report_is_clean

    report = verify(posts, case)
    assert report.result.flags == []                                  # nothing found, because nothing was read
    assert not report.complete and {c.state for c in report.coverage} == {MISSING}
    assert not report_is_clean(report.result)
    # not filed on the case: its sign-off, with the reasons, files it
    assert report.case_report_id is None and Case.objects.get(pk=case.pk).status == "surveyed"
    assert not VerificationReport.objects.filter(case=case).exists()

    page = client_for("county_officer", "130123")
    body = page.get(f"/verification/reports/{report.result.pk}/", **EN).content.decode()
    assert 'data-testid="report-incomplete"' in body
    assert body.index('data-testid="report-incomplete"') < body.index('data-testid="report-flags"')   # at the top
    assert ALL_CLEAR_EN not in body and "not a clean report" in body
    assert f"Incomplete: {len(read_datasets())} of {len(read_datasets())} department datasets were missing" in body
    for label in ("wages (social insurance contributions)", "bank deposits", "motor vehicles", "deaths"):
        assert f"{label} (" in body and "no data received" in body
    assert body.count('data-state="missing"') == len(read_datasets())
    assert 'data-testid="signoff-reason-fields"' in body
    for code in read_datasets():
        assert f'name="reason_{code}"' in body

    zh = page.get(f"/verification/reports/{report.result.pk}/", headers={"Accept-Language": "zh-hans"}).content.decode()
    assert ALL_CLEAR_ZH not in zh and "不完整" in zh and "未收到数据" in zh
    printed = report_html(posts.officer, report.result)                # the A4 report says it first too
    assert "不完整" in printed and printed.index("不完整") < printed.index("无疑点") and ALL_CLEAR_ZH not in printed
    household = page.get(f"/verification/households/{case.household_id}/", **EN).content.decode()
    assert 'data-testid="result-incomplete"' in household and ">no flag<" not in household


# --- out of date: flagged per dataset, per area's limit --------------------------------------------

@pytest.mark.django_db
def test_an_old_snapshot_is_flagged_out_of_date(case, posts, clock, client_for, system):
    from safetynet.programs.services import set_parameter
    from safetynet.verification.coverage import FRESH, STALE
    from safetynet.verification.reports import report_is_clean

    today = dt.date.today()
    old = today - dt.timedelta(days=120)
    import_rows(posts.officer, "deposits", [{"id_number": STRANGER_ID, "bank": "中国银行", "balance": Decimal("10"),
                                             "as_of": old}], taken_on=old)
    import_other_datasets(posts.officer)
    report = verify(posts, case)
    coverage = {c.dataset: c for c in report.coverage}
    assert coverage["deposits"].state == STALE and coverage["deposits"].age_days == 120
    assert coverage["deposits"].max_age_days == 92 and coverage["deposits"].records == 0
    assert [c.dataset for c in report.coverage if c.state != FRESH] == ["deposits"]
    assert not report.complete and not report_is_clean(report.result) and report.case_report_id is None
    body = client_for("county_officer", "130123").get(f"/verification/reports/{report.result.pk}/", **EN).content.decode()
    assert 'data-testid="report-incomplete"' in body and "120 days old (limit 92 days)" in body
    assert ALL_CLEAR_EN not in body and 'name="reason_deposits"' in body and 'name="reason_vehicles"' not in body

    # the limit is the county's to set: with 180 days the same snapshot is fresh
    set_parameter(actor=system, program_code="dibao", key="data_max_age_finance", area_code="130123", value="180",
                  effective_from=today.replace(day=1), reason="财政部门按半年提供存款数据")
    from safetynet.cases.models import Case

    other = Case.objects.get(pk=case.pk)
    again = verify(posts, other)
    assert again.complete and again.case_report_id


# --- sign-off: a reason for each gap, or refused; with them, filed on the case ---------------------

@pytest.mark.django_db
def test_sign_off_is_refused_without_a_reason_per_dataset_and_files_the_case_with_them(case, posts, client_for):
    from safetynet.cases.models import Case, VerificationReport
    from safetynet.core.models import AuditEvent
    from safetynet.verification.reports import sign_off_report
    from safetynet.verification.signoff_models import ReportSignOff

    import_other_datasets(posts.officer)
    from safetynet.verification.models import Snapshot

    Snapshot.objects.filter(dataset__in=["deposits", "hrss_wages"]).delete()   # two departments sent nothing
    report = verify(posts, case)
    assert sorted(c.dataset for c in report.coverage if c.is_gap) == ["deposits", "hrss_wages"]

    with pytest.raises(ValidationError) as refused:
        sign_off_report(actor=posts.officer, result_id=report.result.pk, note="已核对")
    assert refused.value.field == "reason_hrss_wages"
    assert set(refused.value.details["fields"]) == {"reason_hrss_wages", "reason_deposits"}
    with pytest.raises(ValidationError) as one_short:
        sign_off_report(actor=posts.officer, result_id=report.result.pk, reasons={"hrss_wages": "人社局系统升级 本月未提供"})
    assert one_short.value.field == "reason_deposits" and list(one_short.value.details["fields"]) == ["reason_deposits"]
    with pytest.raises(ValidationError) as blank:
        sign_off_report(actor=posts.officer, result_id=report.result.pk,
                        reasons={"hrss_wages": "人社局系统升级", "deposits": "   "})
    assert blank.value.field == "reason_deposits"
    assert not ReportSignOff.objects.exists() and Case.objects.get(pk=case.pk).status == "surveyed"

    reasons = {"hrss_wages": "人社局系统升级 本月未提供 申请人提供了单位工资证明", "deposits": "银行数据下月到 已查看存折"}
    signed = sign_off_report(actor=posts.officer, result_id=report.result.pk, note="已核对", reasons=reasons)
    stored = {row["dataset"]: row for row in signed.coverage}
    assert stored["deposits"]["reason"] == reasons["deposits"] and stored["deposits"]["state"] == "missing"
    assert stored["vehicles"]["reason"] == "" and stored["vehicles"]["state"] == "fresh"
    assert AuditEvent.objects.get(action="verification.sign_off_report").after["reasons"] == reasons

    # the sign-off filed the report on the case, saying first what it lacked and why
    assert Case.objects.get(pk=case.pk).status == "verified"
    filed = VerificationReport.objects.get(case=case, source="engine")
    assert filed.summary.startswith("INCOMPLETE: 2 of")
    assert reasons["deposits"] in filed.summary and reasons["hrss_wages"] in filed.summary
    assert "Flags: none." not in filed.summary and "none in the data that was there" in filed.summary
    assert filed.findings["complete"] is False
    assert {c["dataset"]: c["reason"] for c in filed.findings["coverage"] if c["reason"]} == reasons

    page = client_for("county_officer", "130123")
    body = page.get(f"/verification/reports/{report.result.pk}/", **EN).content.decode()
    assert 'data-testid="signoff-reasons"' in body and reasons["deposits"] in body
    assert 'name="reason_deposits"' not in body                      # signed: no form any more
    assert reasons["hrss_wages"] in page.get(f"/cases/{case.pk}/").content.decode()


@pytest.mark.django_db
def test_the_page_form_refuses_next_to_the_field_and_accepts_the_reasons(case, posts, client_for):
    from safetynet.cases.models import Case
    from safetynet.verification.models import Snapshot
    from safetynet.verification.signoff_models import ReportSignOff

    import_other_datasets(posts.officer)
    Snapshot.objects.filter(dataset="vehicles").delete()
    report = verify(posts, case)
    url = f"/verification/reports/{report.result.pk}/sign-off/"
    page = client_for("county_officer", "130123")
    refused = page.post(url, {"note": "同意", "reason_vehicles": ""}, **EN)
    assert refused.status_code == 422
    body = refused.content.decode()
    assert 'name="reason_vehicles"' in body and "is-invalid" in body
    assert "No data was received from this dataset" in body
    assert not ReportSignOff.objects.exists()
    accepted = page.post(url, {"note": "同意", "reason_vehicles": "车管所数据已申请 申请人承诺无车"})
    assert accepted.status_code == 302
    assert ReportSignOff.objects.get(result=report.result).coverage
    assert Case.objects.get(pk=case.pk).status == "verified"


@pytest.mark.django_db
def test_the_api_refuses_naming_the_field_and_accepts_the_reasons(case, posts, client):
    from django.contrib.auth import get_user_model

    from safetynet.cases.models import Case
    from safetynet.verification.models import HouseholdResult, Snapshot

    import_other_datasets(posts.officer)
    Snapshot.objects.filter(dataset="pensions").delete()
    client.force_login(get_user_model().objects.get(pk=posts.officer.user_id))
    verified = client.post(f"/api/v1/verification/households/{case.household_id}/verify", {"case_id": case.pk},
                           content_type="application/json")
    assert verified.status_code == 200, verified.content
    body = verified.json()
    assert body["complete"] is False and body["case_report"] is None
    assert [c["dataset"] for c in body["coverage"] if c["state"] == "missing"] == ["pensions"]
    result_id = HouseholdResult.objects.get(run_id=body["run"]).pk
    url = f"/api/v1/verification/reports/{result_id}/sign-off"
    refused = client.post(url, {"note": "同意"}, content_type="application/json")
    assert refused.status_code == 422 and refused.json()["field"] == "reason_pensions"
    unknown = client.post(url, {"reasons": {"no_such": "x"}}, content_type="application/json")
    assert unknown.status_code == 422 and unknown.json()["field"] == "reasons"
    signed = client.post(url, {"note": "同意", "reasons": {"pensions": "社保中心下月提供 申请人无养老金"}},
                         content_type="application/json")
    assert signed.status_code == 200, signed.content
    answer = signed.json()
    assert answer["case_report"] and Case.objects.get(pk=case.pk).status == "verified"
    assert {c["dataset"]: c["reason"] for c in answer["coverage"] if c["reason"]} == {"pensions": "社保中心下月提供 申请人无养老金"}


# --- every dataset there and fresh, nothing found: still clean, one submit ---------------------------

@pytest.mark.django_db
def test_all_fresh_and_nothing_found_is_clean_and_signs_in_one_submit(case, posts, client_for):
    from safetynet.cases.models import Case, VerificationReport
    from safetynet.verification.reports import report_is_clean
    from safetynet.verification.signoff_models import ReportSignOff

    import_other_datasets(posts.officer)
    report = verify(posts, case)
    assert report.complete and report.result.flags == [] and report_is_clean(report.result)
    assert all(c.records == 0 for c in report.coverage)             # the household matched nowhere
    assert Case.objects.get(pk=case.pk).status == "verified"         # filed at once, as before
    filed = VerificationReport.objects.get(pk=report.case_report_id)
    assert filed.summary.startswith("Department data:") and filed.findings["complete"] is True

    page = client_for("county_officer", "130123")
    body = page.get(f"/verification/reports/{report.result.pk}/", **EN).content.decode()
    assert ALL_CLEAR_EN in body and 'data-testid="report-incomplete"' not in body
    assert 'data-testid="signoff-reason-fields"' not in body and 'name="reason_' not in body
    assert body.count('data-state="fresh"') == len(read_datasets())
    from safetynet.core.errors import ValidationError
    from safetynet.verification.reports import sign_off_report

    with pytest.raises(ValidationError) as error:        # a reason for data that was there: refused, not dropped
        sign_off_report(actor=posts.officer, result_id=report.result.pk, reasons={"hrss_wages": "无需理由"})
    assert error.value.code == "reason_not_needed" and error.value.field == "reason_hrss_wages"
    assert page.post(f"/verification/reports/{report.result.pk}/sign-off/").status_code == 302
    assert ReportSignOff.objects.filter(result=report.result).exists()
    zh = page.get(f"/verification/reports/{report.result.pk}/", headers={"Accept-Language": "zh-hans"}).content.decode()
    assert ALL_CLEAR_ZH in zh
