"""Filing a complaint (issue 18 part 2): one function for every door, the category's limits in
working days, the handling office (sensitive categories go past the town to the county), the
reporter's token, an objection to a notice filed as a complaint in the same unit of work, and a
control's finding opening one complaint however often it runs."""
from __future__ import annotations

import datetime as dt

import pytest

from safetynet.cases import services as case_services
from safetynet.core.errors import NotFound, PermissionDenied, ValidationError
from safetynet.core.unitofwork import unit_of_work
from safetynet.oversight import complaints
from safetynet.oversight.complaints import ComplaintInput, file_complaint, file_complaints
from safetynet.oversight.models import ClockState, Complaint, ComplaintCategory, ComplaintEvent
from tests.cases_helpers import walk

TOWN_OF = slice(0, 9)


def _item(village, **kw) -> ComplaintInput:
    fields = {"channel": "hotline", "category": "wrongly_paid", "content": "他家有门面房出租，还在吃低保",
              "area_code": village.code, "anonymous": True}
    fields.update(kw)
    return ComplaintInput(**fields)


def test_national_categories_are_seeded_with_limits(db):
    codes = set(ComplaintCategory.objects.filter(area__isnull=True).values_list("code", flat=True))
    assert {"wrongly_paid", "missed", "bribery", "staff_relative", "notice_objection", "control_finding"} <= codes
    assert ComplaintCategory.objects.get(area__isnull=True, code="bribery").sensitive


def test_a_hotline_complaint_gets_its_office_deadlines_and_a_token(posts, village, clock):
    filed = file_complaint(posts.worker, _item(village))
    complaint = filed.complaint
    assert complaint.handling_area_id == village.code[TOWN_OF]
    assert complaint.received_on == clock()
    # Monday 2025-09-22: 3 working days → Thursday 25th; 20 working days crosses the National Day holiday.
    assert complaint.response_due_on == dt.date(2025, 9, 25)
    assert complaint.resolution_due_on > dt.date(2025, 10, 20)
    assert complaint.filed_by_id == posts.worker.user_id
    assert Complaint.objects.get(token_hash=complaints.hash_token(filed.token)) == complaint
    assert ComplaintEvent.objects.filter(complaint=complaint, kind="filed").count() == 1
    assert complaint.reference.startswith("TS20250922")


def test_a_sensitive_category_goes_past_the_town(posts, village, county):
    complaint = file_complaint(posts.worker, _item(village, category="bribery")).complaint
    assert complaint.handling_area_id == county.code
    assert not complaints.complaints_in_scope(posts.worker).filter(pk=complaint.pk).exists()
    assert complaints.complaints_in_scope(posts.officer).filter(pk=complaint.pk).exists()


def test_a_county_category_overrides_the_national_limits(posts, village, county, clock):
    ComplaintCategory.objects.create(area=county, code="wrongly_paid", response_days=1, resolution_days=5)
    complaint = file_complaint(posts.worker, _item(village)).complaint
    assert complaint.response_due_on == dt.date(2025, 9, 23)


def test_clock_states_follow_the_working_day_calendar(posts, village, clock):
    complaint = file_complaint(posts.worker, _item(village)).complaint
    assert complaints.clock_state(complaint, dt.date(2025, 9, 22)) == ClockState.ON_TRACK  # 3 working days left
    assert complaints.clock_state(complaint, dt.date(2025, 9, 23)) == ClockState.AT_RISK   # 2 left: at risk
    assert complaints.clock_state(complaint, dt.date(2025, 9, 25)) == ClockState.AT_RISK   # the last day
    assert complaints.clock_state(complaint, dt.date(2025, 9, 26)) == ClockState.BREACHED
    complaint.responded_on = dt.date(2025, 9, 23)
    assert complaints.clock_state(complaint, dt.date(2025, 9, 26)) == ClockState.ON_TRACK


@pytest.mark.parametrize("kw, field", [
    ({"content": "  "}, "content"),
    ({"content": "含有\x07控制字符"}, "content"),
    ({"anonymous": False, "reporter_name": ""}, "reporter_name"),
    ({"channel": "fax"}, "channel"),
])
def test_bad_input_is_refused_naming_the_field(posts, village, kw, field):
    with pytest.raises(ValidationError) as error:
        file_complaint(posts.worker, _item(village, **kw))
    assert error.value.field == field
    assert not Complaint.objects.exists()


def test_an_unknown_category_is_not_found_and_holds_back_no_other_item(posts, village):
    with pytest.raises(NotFound) as error:
        file_complaint(posts.worker, _item(village, category="no_such"))
    assert error.value.field == "category"
    with unit_of_work() as uow:
        refused, filed = file_complaints(uow, posts.worker, [_item(village, category="no_such"), _item(village)])
    assert refused.error.field == "category" and filed.complaint is not None
    assert Complaint.objects.count() == 1


def test_staff_channels_need_the_permission_and_the_area(posts, village, other_village):
    with pytest.raises(PermissionDenied):
        file_complaint(posts.grid, _item(village))
    with pytest.raises(NotFound):
        file_complaint(posts.other_worker, _item(village))
    with pytest.raises(ValidationError):
        file_complaint(None, _item(village))           # the public files through the public page only
    assert file_complaint(None, _item(village, channel="public")).complaint.filed_by_id is None


def test_only_the_county_supervision_inspector_sees_the_reporter(posts, make_actor, county):
    supervisor = make_actor("supervisor", county.code)
    town_supervisor = make_actor("supervisor", posts.worker.area_code)
    assert complaints.may_see_reporter(supervisor)
    for actor in (posts.worker, posts.leader, posts.officer, posts.county_leader, posts.inspector, town_supervisor, None):
        assert not complaints.may_see_reporter(actor)


def test_an_anonymous_complaint_keeps_no_identity(posts, village):
    complaint = file_complaint(posts.worker, _item(village, reporter_name="张三", reporter_contact="13800000000")).complaint
    assert (complaint.reporter_name, complaint.reporter_contact) == ("", "")


def test_an_objection_to_a_notice_is_a_complaint_on_the_case(posts, poor_household, clock, standards):
    case = walk(posts, poor_household, clock, to="in_notice")
    case_services.record_objection(actor=posts.cadre, case_id=case.pk, content="他家在县城有门面房出租")
    complaint = Complaint.objects.get()
    assert (complaint.channel, complaint.category.code, complaint.case_id) == ("objection", "notice_objection", case.pk)
    assert complaint.objection.case_id == case.pk
    assert complaint.handling_area_id == case.area_id[:9]


def test_a_controls_finding_opens_one_complaint(posts, village):
    item = _item(village, channel="control", category="control_finding", source_key="anomaly:7")
    with unit_of_work() as uow:
        [first] = file_complaints(uow, posts.officer, [item])
    with unit_of_work() as uow:
        [again] = file_complaints(uow, posts.officer, [_item(village, channel="control", category="control_finding",
                                                             source_key="anomaly:7")])
    assert again.existing and again.complaint.pk == first.complaint.pk
    assert Complaint.objects.count() == 1
    with unit_of_work() as uow:
        [refused] = file_complaints(uow, posts.officer, [_item(village, channel="control", category="control_finding")])
    assert refused.error.field == "source_key"


def test_the_categories_the_system_files_under_cannot_be_retired(posts, county):
    """An objection to a notice is a citizen's right (MLG-2021 art. 19): the category it is filed
    under as a complaint, like the controls' one, stays in use whatever a county does."""
    for code in ("notice_objection", "control_finding"):
        with pytest.raises(ValidationError) as error:
            complaints.save_county_category(actor=posts.officer, county_code=county.code, code=code,
                                            response_days=3, resolution_days=10, is_active=False)
        assert error.value.field == "is_active"
    assert not ComplaintCategory.objects.filter(area=county).exists()
