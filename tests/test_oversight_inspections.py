"""Inspections (issue 18 part 5): an inspector records a finding on an office in scope with a
deadline in working days, the office answers, the inspector accepts or returns; the overview and
the exports read the post's scope, masked; every other party is refused."""
from __future__ import annotations

import io
from dataclasses import replace

import pytest
from openpyxl import load_workbook

from safetynet.areas.models import Post
from safetynet.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from safetynet.core.workdays import add_working_days
from safetynet.oversight import inspection_exports, inspection_overview, inspections
from safetynet.oversight.models import FindingStatus, InspectionFinding
from safetynet.payroll import services as payroll_services
from tests.cases_helpers import D
from tests.conftest import COUNTY, OTHER_TOWN, TOWN


@pytest.fixture
def inspector(posts):
    Post.objects.filter(pk=posts.inspector.post_id).update(title="县审计局")
    return posts.inspector


def test_a_finding_answered_and_accepted(posts, clock, inspector, payroll):
    finding = inspections.record_finding(actor=inspector, office_code=TOWN, subject="低保金发放不及时",
                                         text="抽查发现 10 月低保金晚发", on=clock(), case_id=payroll.case.pk)
    assert finding.body == "县审计局" and finding.status == FindingStatus.OPEN
    assert finding.due_on == add_working_days(clock(), 20)            # finding_rectify_days, working days
    # The office answers; a county officer does not answer for the town, another town cannot see it.
    with pytest.raises(PermissionDenied):
        inspections.answer_finding(actor=posts.officer, finding_id=finding.pk, answer="已整改", on=clock())
    with pytest.raises(NotFound):
        inspections.answer_finding(actor=posts.other_worker, finding_id=finding.pk, answer="已整改", on=clock())
    with pytest.raises(PermissionDenied):          # a village cadre holds no rectify permission
        inspections.answer_finding(actor=posts.cadre, finding_id=finding.pk, answer="已整改", on=clock())
    inspections.answer_finding(actor=posts.worker, finding_id=finding.pk, answer="已补发并建立台账", on=clock())
    # Only the inspector who recorded it decides on the answer.
    with pytest.raises(PermissionDenied):
        inspections.accept_answer(actor=posts.worker, finding_id=finding.pk, on=clock())
    returned = inspections.return_answer(actor=inspector, finding_id=finding.pk, note="请附台账", on=clock())
    assert returned.status == FindingStatus.OPEN and returned.times_returned == 1
    inspections.answer_finding(actor=posts.worker, finding_id=finding.pk, answer="台账已附", on=clock())
    done = inspections.accept_answer(actor=inspector, finding_id=finding.pk, on=clock())
    assert done.status == FindingStatus.ACCEPTED
    assert [e.to_status for e in done.events.all()] == ["open", "answered", "open", "answered", "accepted"]
    with pytest.raises(Conflict):
        inspections.answer_finding(actor=posts.worker, finding_id=finding.pk, answer="again", on=clock())


def test_an_unanswered_finding_becomes_overdue(posts, clock, inspector, system):
    finding = inspections.record_finding(actor=inspector, office_code=COUNTY, subject="台账不全", text="缺少入户记录",
                                         on=clock())
    assert inspections.mark_overdue_findings(actor=system, on=finding.due_on) == 0
    late = add_working_days(finding.due_on, 1)
    assert inspections.is_overdue(finding, late)
    assert inspections.mark_overdue_findings(actor=system, on=late, county_code=COUNTY) == 1
    finding.refresh_from_db()
    assert finding.status == FindingStatus.OVERDUE
    # Still answerable, by the county's own post.
    inspections.answer_finding(actor=posts.officer, finding_id=finding.pk, answer="已补齐", on=late)


def test_what_a_finding_may_be_addressed_to(posts, make_actor, clock, inspector, payroll):
    with pytest.raises(ValidationError):
        inspections.record_finding(actor=inspector, office_code=payroll.village.code, subject="x", text="y", on=clock())
    with pytest.raises(ValidationError):          # the case is not under the office chosen
        inspections.record_finding(actor=inspector, office_code=OTHER_TOWN, subject="x", text="y", on=clock(),
                                   case_id=payroll.case.pk)
    deputy = make_actor("inspector", OTHER_TOWN)
    with pytest.raises(NotFound):                 # a town's deputy: not the county, not another town
        inspections.record_finding(actor=deputy, office_code=COUNTY, subject="x", text="y", on=clock())
    with pytest.raises(NotFound):
        inspections.record_finding(actor=deputy, office_code=TOWN, subject="x", text="y", on=clock())
    with pytest.raises(PermissionDenied):         # offices do not record findings
        inspections.record_finding(actor=posts.officer, office_code=TOWN, subject="x", text="y", on=clock())
    assert InspectionFinding.objects.count() == 0


def test_the_overview_and_the_exports(posts, clock, inspector, payroll):
    payroll_services.generate_payroll_run(actor=posts.officer, county_code=COUNTY, month="2025-10")
    counts = inspection_overview.scope_counts(inspector, clock())
    assert counts["cases"] == 1 and counts["enrollments_live"] == 1
    made = inspection_exports.export_workbook(actor=inspector, kind="cases")
    sheet = load_workbook(io.BytesIO(made.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    head = payroll.case.applicant
    assert len(rows) == 2 and head.name in rows[1] and head.id_number not in rows[1]   # masked for an inspector
    assert any(str(v).endswith(head.id_number[-4:]) for v in rows[1] if v)
    lines = inspection_exports.export_workbook(actor=inspector, kind="payments", month=D(2025, 10, 1))
    assert lines.rows == 1
    with pytest.raises(ValidationError):
        inspection_exports.export_workbook(actor=inspector, kind="payments")
    with pytest.raises(PermissionDenied):         # a town worker may not export
        inspection_exports.export_workbook(actor=posts.worker, kind="cases")
    with pytest.raises(NotFound):                 # a town's inspector asking for another town
        inspection_exports.export_workbook(actor=replace(inspector, area_code=OTHER_TOWN), kind="cases", area_code=TOWN)


def test_the_pages_and_the_api(posts, clock, inspector, payroll, login, api):
    client = login(inspector)
    assert client.get("/oversight/inspections/").status_code == 200
    xlsx = client.get("/oversight/inspections/export/cases.xlsx")
    assert xlsx.status_code == 200 and xlsx["Cache-Control"] == "private, no-store"
    assert client.get("/oversight/inspections/export/payments.xlsx?month=2025-10").status_code == 200
    assert login(posts.worker).get("/oversight/inspections/export/cases.xlsx").status_code == 403
    client = login(inspector)
    made = client.post("/oversight/inspections/findings/new/", {"office": TOWN, "subject": "入户调查记录不全",
                                                                 "text": "两户缺少签字"})
    assert made.status_code == 302
    finding = InspectionFinding.objects.get()
    bad = client.post("/oversight/inspections/findings/new/", {"office": TOWN, "subject": "", "text": "某事"})
    assert bad.status_code == 422 and "某事" in bad.content.decode()
    assert login(posts.worker).post(f"/oversight/inspections/findings/{finding.pk}/", {
        "action": "answer", "answer": "已补签"}).status_code == 302
    assert login(posts.other_worker).get(f"/oversight/inspections/findings/{finding.pk}/").status_code == 404
    assert login(inspector).post(f"/oversight/inspections/findings/{finding.pk}/", {"action": "accept"}).status_code == 302
    finding.refresh_from_db()
    assert finding.status == FindingStatus.ACCEPTED
    assert login(inspector).get("/oversight/inspections/findings/").status_code == 200
    # The API: the same services.
    client = api(inspector)
    created = client.post("/api/v1/oversight/inspections/findings", {"office": COUNTY, "subject": "专项资金",
                                                                     "text": "结余过大"}, content_type="application/json")
    assert created.status_code == 201 and created.json()["body"] == "县审计局"
    fid = created.json()["id"]
    assert api(posts.worker).post(f"/api/v1/oversight/inspections/findings/{fid}/answer", {"answer": "x"},
                                  content_type="application/json").status_code == 404
    assert api(posts.officer).post(f"/api/v1/oversight/inspections/findings/{fid}/answer", {"answer": "已说明"},
                                   content_type="application/json").status_code == 200
    back = api(inspector).post(f"/api/v1/oversight/inspections/findings/{fid}/return", {"note": "请补充"},
                               content_type="application/json")
    assert back.status_code == 200 and back.json()["status"] == "open"
    assert api(inspector).get("/api/v1/oversight/inspections/overview").json()["counts"]["findings_open"] == 1


def test_the_pages_speak_chinese(posts, clock, inspector, payroll, client):
    """Every page of the three parts, in the Chinese interface, shows no English but the logins."""
    from django.contrib.auth import get_user_model

    from tests.untranslated import ALLOWED, english_in_context

    finding = inspections.record_finding(actor=inspector, office_code=TOWN, subject="台账", text="缺页", on=clock())
    inspections.answer_finding(actor=posts.worker, finding_id=finding.pk, answer="已补", on=clock())
    logins = {u.username for u in get_user_model().objects.all()}
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    pages = ["/oversight/inspections/", "/oversight/inspections/findings/", "/oversight/inspections/findings/new/",
             f"/oversight/inspections/findings/{finding.pk}/", "/oversight/relatives/", "/oversight/relatives/register/",
             "/oversight/relatives/comparison/", "/oversight/relatives/mine/", "/oversight/audit/?verify=1"]
    for actor in (inspector, posts.worker, posts.officer):
        client.force_login(get_user_model().objects.get(pk=actor.user_id))
        for url in pages:
            response = client.get(url)
            if response.status_code == 403:
                continue
            assert response.status_code == 200, (actor.role, url)
            assert english_in_context(response.content.decode(), ALLOWED | logins) == [], (actor.role, url)
        assert "检查发现" in client.get("/oversight/inspections/findings/").content.decode()
