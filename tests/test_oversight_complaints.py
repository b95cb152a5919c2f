"""Complaints after filing (issue 18 part 2): the workflow and its permission and area checks,
deadlines and clock states on the working-day calendar, escalation, sensitive categories past the
town, the reporter's token, timeline and appeal, the follow-up on a case or an enrollment, and
attachments."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from PIL import Image

from safetynet.core.models import AuditEvent
from safetynet.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from safetynet.oversight import complaints as svc
from safetynet.oversight.models import (
    ClockState, Complaint, ComplaintAttachment, ComplaintFollowUp, ComplaintStatus,
)
from tests.cases_helpers import walk
from tests.conftest import COUNTY, OTHER_TOWN, TOWN

pytestmark = pytest.mark.django_db


def public(area_code, category="procedure", content="窗口办事拖延，三次都没人受理", **fields):
    return svc.file_complaint(None, svc.ComplaintInput(channel="public", category=category, content=content,
                                                       area_code=area_code, **fields))


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def supervisor(make_actor, county):
    return make_actor("supervisor", COUNTY)


# ---- deadlines and clock states -----------------------------------------------------------
def test_deadlines_and_clock_states_count_working_days(posts, village, clock):
    # Monday 2025-09-22; procedure: answered within 3, resolved within 15 working days.
    filed = public(village.code)
    c = filed.complaint
    assert c.response_due_on == dt.date(2025, 9, 25)
    assert c.handling_area_id == TOWN
    assert svc.clock_state(c, dt.date(2025, 9, 22)) == ClockState.ON_TRACK
    assert svc.clock_state(c, dt.date(2025, 9, 23)) == ClockState.AT_RISK      # 2 working days away
    assert svc.clock_state(c, dt.date(2025, 9, 26)) == ClockState.BREACHED
    # The resolution deadline skips the National Day holiday (1–8 October 2025).
    assert c.resolution_due_on > dt.date(2025, 10, 15)
    for state in (ClockState.ON_TRACK, ClockState.AT_RISK, ClockState.BREACHED):
        for day in (dt.date(2025, 9, 22), dt.date(2025, 9, 23), dt.date(2025, 9, 26)):
            in_filter = Complaint.objects.filter(svc.clock_q(state, day, TOWN), pk=c.pk).exists()
            assert in_filter == (svc.clock_state(c, day) == state), (state, day)


# ---- the workflow ---------------------------------------------------------------------------
def test_the_town_handles_a_complaint_from_assignment_to_closing(posts, village, clock):
    c = public(village.code).complaint
    c = svc.assign_complaint(actor=posts.leader, complaint_id=c.pk, assignee_id=posts.worker.user_id)
    assert c.status == ComplaintStatus.ASSIGNED and c.responded_on == clock()
    c = svc.start_investigation(actor=posts.worker, complaint_id=c.pk)
    c = svc.add_complaint_note(actor=posts.worker, complaint_id=c.pk, note="约谈窗口人员")
    c = svc.decide_complaint(actor=posts.worker, complaint_id=c.pk, finding="unsubstantiated", result="查无拖延")
    with pytest.raises(Conflict):
        svc.close_complaint(actor=posts.worker, complaint_id=c.pk)            # the reporter is answered first
    c = svc.reply_to_reporter(actor=posts.worker, complaint_id=c.pk, answer="经核查，窗口已按时受理。")
    assert c.status == ComplaintStatus.REPLIED
    c = svc.close_complaint(actor=posts.worker, complaint_id=c.pk)
    assert Complaint.objects.get(pk=c.pk).status == ComplaintStatus.CLOSED
    kinds = list(c.events.values_list("kind", flat=True))
    assert kinds == ["filed", "assigned", "investigating", "note", "decided", "replied", "closed"]
    actions = set(AuditEvent.objects.filter(object_id=str(c.pk)).values_list("action", flat=True))
    assert {"oversight.assign_complaint", "oversight.decide_complaint", "oversight.close_complaint"} <= actions


def test_an_answer_is_a_first_response_too(posts, village, clock):
    c = public(village.code).complaint
    clock.advance(1)
    c = svc.reply_to_reporter(actor=posts.worker, complaint_id=c.pk, answer="已收到，正在核实。")
    assert c.status == ComplaintStatus.RECEIVED and c.responded_on == clock()


def test_assignment_only_to_someone_handling_at_the_office(posts, village, clock):
    c = public(village.code).complaint
    for user in (posts.other_worker.user_id, posts.inspector.user_id, posts.cadre.user_id, 999999):
        with pytest.raises(ValidationError):
            svc.assign_complaint(actor=posts.worker, complaint_id=c.pk, assignee_id=user)


def test_steps_out_of_order_are_refused(posts, village, clock):
    c = public(village.code).complaint
    with pytest.raises(Conflict):
        svc.decide_complaint(actor=posts.worker, complaint_id=c.pk, finding="substantiated", result="x")
    with pytest.raises(ValidationError):
        svc.start_investigation(actor=posts.worker, complaint_id=c.pk, note="\x00")


@pytest.mark.parametrize("who", ["inspector", "grid", "cadre"])
def test_denied_by_role(posts, village, clock, who):
    c = public(village.code).complaint
    with pytest.raises(PermissionDenied):
        svc.assign_complaint(actor=getattr(posts, who), complaint_id=c.pk, assignee_id=posts.worker.user_id)
    with pytest.raises(PermissionDenied):
        svc.add_complaint_note(actor=getattr(posts, who), complaint_id=c.pk, note="x")


def test_supervisor_writes_nothing(supervisor, posts, village, clock):
    c = public(village.code).complaint
    with pytest.raises(PermissionDenied):
        svc.start_investigation(actor=supervisor, complaint_id=c.pk)


def test_another_towns_complaint_does_not_exist_for_the_worker(posts, village, other_village, clock):
    c = public(other_village.code).complaint
    with pytest.raises(NotFound):
        svc.start_investigation(actor=posts.worker, complaint_id=c.pk)
    assert not svc.complaints_in_scope(posts.worker).filter(pk=c.pk).exists()
    svc.start_investigation(actor=posts.other_worker, complaint_id=c.pk)


# ---- sensitive categories go past the town ----------------------------------------------------
def test_a_bribery_report_goes_past_the_town(posts, village, clock):
    c = public(village.code, category="bribery", content="村干部收钱才给办低保").complaint
    assert c.handling_area_id == COUNTY
    assert not svc.complaints_in_scope(posts.worker).filter(pk=c.pk).exists()
    with pytest.raises(NotFound):
        svc.start_investigation(actor=posts.worker, complaint_id=c.pk)
    with pytest.raises(NotFound):
        svc.add_complaint_note(actor=posts.leader, complaint_id=c.pk, note="x")
    svc.start_investigation(actor=posts.officer, complaint_id=c.pk)


# ---- identity ------------------------------------------------------------------------------
def test_only_the_county_supervisor_sees_the_reporter(posts, supervisor, make_actor, village, clock):
    town_supervisor = make_actor("supervisor", TOWN)
    assert svc.may_see_reporter(supervisor)
    for actor in (posts.worker, posts.leader, posts.officer, posts.county_leader, posts.inspector, town_supervisor, None):
        assert not svc.may_see_reporter(actor)
    c = public(village.code, anonymous=False, reporter_name="王大明", reporter_contact="13800001111").complaint
    svc.assign_complaint(actor=posts.worker, complaint_id=c.pk, assignee_id=posts.worker.user_id)
    for event in AuditEvent.objects.filter(object_id=str(c.pk)):
        assert "王大明" not in str(event.after) and "13800001111" not in str(event.after)


# ---- escalation -------------------------------------------------------------------------------
def test_escalation_climbs_once_per_breached_deadline(posts, system, village, clock):
    c = public(village.code).complaint
    on = dt.date(2025, 9, 26)
    assert svc.escalate_breached_complaints(actor=system, on=on).climbed == 1
    c.refresh_from_db()
    assert c.handling_area_id == COUNTY and c.escalations == 1 and c.escalated_for == c.response_due_on
    assert svc.escalate_breached_complaints(actor=system, on=on).climbed == 0
    assert svc.escalate_breached_complaints(actor=system, on=on + dt.timedelta(days=3)).climbed == 0
    assert c.events.filter(kind="escalated").count() == 1
    # Answered late, then the resolution deadline passes too: the county's complaint climbs to the city.
    svc.reply_to_reporter(actor=posts.officer, complaint_id=c.pk, answer="正在处理")
    later = c.resolution_due_on + dt.timedelta(days=1)
    result = svc.escalate_breached_complaints(actor=system, on=later)
    c.refresh_from_db()
    assert result.climbed == 1 and c.handling_area_id == COUNTY[:4] and c.escalations == 2
    assert svc.escalate_breached_complaints(actor=system, on=later).climbed == 0


def test_escalation_leaves_complaints_on_track(posts, system, village, clock):
    public(village.code)
    assert svc.escalate_breached_complaints(actor=system, on=clock()).climbed == 0


# ---- follow-up on the case or the enrollment ------------------------------------------------------
def test_a_substantiated_complaint_by_the_county_reopens_the_confirmed_case(posts, standards, poor_household, village, clock):
    case = walk(posts, poor_household, clock, to="confirmed")
    c = svc.file_complaint(posts.worker, svc.ComplaintInput(channel="hotline", category="amount", content="金额算错",
                                                            case_id=case.pk)).complaint
    c = svc.start_investigation(actor=posts.worker, complaint_id=c.pk)
    c = svc.decide_complaint(actor=posts.worker, complaint_id=c.pk, finding="partly", result="收入漏算")
    # The town cannot reopen a decided case: it waits for the county.
    assert c.follow_up == ComplaintFollowUp.COUNTY_TO_REOPEN


def test_a_county_result_reopens_a_refused_case(posts, standards, poor_household, village, clock):
    from safetynet.cases import services as cases
    from safetynet.cases.models import Case

    case = walk(posts, poor_household, clock, to="notice_closed")
    cases.refuse_case(actor=posts.officer, case_id=case.pk, reasons="收入超过标准")
    c = svc.file_complaint(posts.officer, svc.ComplaintInput(channel="letter", category="missed", content="被错误拒绝",
                                                             case_id=case.pk)).complaint
    svc.start_investigation(actor=posts.worker, complaint_id=c.pk)
    c = svc.decide_complaint(actor=posts.worker, complaint_id=c.pk, finding="substantiated", result="确有错误")
    assert c.follow_up == ComplaintFollowUp.COUNTY_TO_REOPEN
    assert "reopen_case" in svc.allowed_actions(c, posts.officer)
    assert "reopen_case" not in svc.allowed_actions(c, posts.worker)
    with pytest.raises(PermissionDenied):
        svc.reopen_concerned_case(actor=posts.worker, complaint_id=c.pk)
    c = svc.reopen_concerned_case(actor=posts.officer, complaint_id=c.pk)
    assert c.follow_up == ComplaintFollowUp.CASE_REOPENED
    assert Case.objects.get(pk=case.pk).status == "reopened"


def test_a_substantiated_complaint_on_an_open_case_is_recorded_on_it(posts, standards, poor_household, village, clock):
    from safetynet.cases.models import CaseEvent

    case = walk(posts, poor_household, clock, to="accepted")
    c = public(village.code, category="procedure", case_id=case.pk).complaint
    svc.start_investigation(actor=posts.worker, complaint_id=c.pk)
    c = svc.decide_complaint(actor=posts.worker, complaint_id=c.pk, finding="substantiated", result="拖延属实")
    assert c.follow_up == ComplaintFollowUp.CASE_NOTED
    assert CaseEvent.objects.filter(case_id=case.pk, action="complaint").exists()


def test_a_substantiated_complaint_on_an_enrollment_opens_a_recheck(posts, standards, poor_household, village, clock):
    from safetynet.enrollments.change_models import Recheck
    from safetynet.enrollments.models import Enrollment

    case = walk(posts, poor_household, clock, to="confirmed")
    enrollment = Enrollment.objects.get(case=case)
    c = public(village.code, category="wrongly_paid", enrollment_id=enrollment.pk, content="他家有车有房").complaint
    svc.start_investigation(actor=posts.worker, complaint_id=c.pk)
    c = svc.decide_complaint(actor=posts.worker, complaint_id=c.pk, finding="substantiated", result="有车属实")
    assert c.follow_up == ComplaintFollowUp.RECHECK_OPENED
    assert Recheck.objects.filter(enrollment=enrollment, status="open").exists()


# ---- token and appeal ------------------------------------------------------------------------
def test_the_reporter_follows_with_the_token_and_appeals_one_level_up(posts, village, clock):
    filed = public(village.code, anonymous=True)
    c = filed.complaint
    assert svc.complaint_by_token(filed.token).pk == c.pk
    with pytest.raises(NotFound):
        svc.complaint_by_token("not-the-token-at-all")
    with pytest.raises(Conflict):
        svc.appeal_complaint(token=filed.token, reason="不服")              # not answered yet
    svc.start_investigation(actor=posts.worker, complaint_id=c.pk)
    svc.add_complaint_note(actor=posts.worker, complaint_id=c.pk, note="内部意见：申请人难缠")
    svc.decide_complaint(actor=posts.worker, complaint_id=c.pk, finding="unsubstantiated", result="查无此事")
    svc.reply_to_reporter(actor=posts.worker, complaint_id=c.pk, answer="情况不属实")
    timeline = svc.public_timeline(Complaint.objects.get(pk=c.pk))
    text = str(timeline)
    assert "情况不属实" in text and "内部意见" not in text and posts.worker.username not in text
    appeal = svc.appeal_complaint(token=filed.token, reason="我不服，请县里复查")
    assert appeal.complaint.appeal_of_id == c.pk and appeal.complaint.handling_area_id == COUNTY
    assert appeal.token and appeal.token != filed.token
    with pytest.raises(Conflict):
        svc.appeal_complaint(token=filed.token, reason="再次")


def test_the_appeal_period_ends(posts, village, clock):
    filed = public(village.code)
    c = filed.complaint
    svc.start_investigation(actor=posts.worker, complaint_id=c.pk)
    svc.decide_complaint(actor=posts.worker, complaint_id=c.pk, finding="unsubstantiated", result="无")
    svc.reply_to_reporter(actor=posts.worker, complaint_id=c.pk, answer="不属实")
    clock.advance(60)
    with pytest.raises(Conflict):
        svc.appeal_complaint(token=filed.token, reason="晚了")


# ---- attachments ---------------------------------------------------------------------------------
def test_documents_and_images_are_kept_other_files_refused(posts, village, clock, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    c = public(village.code, attachments=[("a.pdf", b"%PDF-1.7\n..."), ("b.png", png())]).complaint
    kept = list(ComplaintAttachment.objects.filter(complaint=c).values_list("content_type", flat=True))
    assert kept == ["application/pdf", "image/png"]
    for name, content in [("x.exe", b"MZ\x90\x00"), ("fake.pdf", b"<html>"), ("fake.png", b"\x89PNG\r\n"), ("e.pdf", b"")]:
        with pytest.raises(ValidationError) as refused:
            public(village.code, attachments=[(name, content)])
        assert refused.value.field == "attachments" and name in refused.value.message
    settings.COMPLAINT_ATTACHMENT_MAX_BYTES = 10
    with pytest.raises(ValidationError):
        public(village.code, attachments=[("big.pdf", b"%PDF-" + b"0" * 20)])
    assert Complaint.objects.count() == 1


# ---- a county's categories -----------------------------------------------------------------
def test_the_county_overrides_limits_and_adds_a_category(posts, village, clock):
    row = svc.save_county_category(actor=posts.officer, county_code=COUNTY, code="procedure", response_days=1,
                                   resolution_days=5)
    assert svc.category_for("procedure", village.code).pk == row.pk
    assert public(village.code).complaint.response_due_on == dt.date(2025, 9, 23)
    own = svc.save_county_category(actor=posts.officer, county_code=COUNTY, code="heating", name="冬季取暖补贴",
                                   response_days=2, resolution_days=10)
    assert own in svc.categories_for(village.code)
    for bad in ({"response_days": 0, "resolution_days": 5}, {"response_days": 5, "resolution_days": 3}):
        with pytest.raises(ValidationError):
            svc.save_county_category(actor=posts.officer, county_code=COUNTY, code="procedure", **bad)
    with pytest.raises(PermissionDenied):
        svc.save_county_category(actor=posts.worker, county_code=COUNTY, code="procedure", response_days=1,
                                 resolution_days=5)
    with pytest.raises(PermissionDenied):
        svc.save_county_category(actor=posts.inspector, county_code=COUNTY, code="procedure", response_days=1,
                                 resolution_days=5)


def test_the_public_cannot_file_the_control_category(posts, village, clock):
    with pytest.raises(ValidationError):
        public(village.code, category="control_finding")


def test_other_town_worker_cannot_assign_into_town(posts, village, clock):
    c = public(village.code).complaint
    with pytest.raises(NotFound):
        svc.assign_complaint(actor=posts.other_worker, complaint_id=c.pk, assignee_id=posts.other_worker.user_id)
    assert OTHER_TOWN != TOWN
