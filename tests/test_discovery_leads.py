"""Leads (issue 17 part 2): deadlines in working days, escalation, joining and merging, idempotent
grid reports, and the area checks on every action."""
from __future__ import annotations

import datetime as dt
import io
import uuid

import pytest

from safetynet.core.errors import Conflict, NotFound, ValidationError
from safetynet.discovery import clocks, services
from safetynet.discovery.models import Escalation, GridReport, Lead, LeadStatus
from tests.conftest import OTHER_TOWN, TOWN
from tests.registry_helpers import make_household

pytestmark = pytest.mark.django_db


@pytest.fixture
def on_day(monkeypatch):
    """on_day(date): the business date the services see."""
    from safetynet.cases import clocks as case_clocks

    def set_day(day):
        monkeypatch.setattr(case_clocks, "today", lambda: day)
    return set_day


@pytest.fixture
def grid_worker(make_actor, village):
    return make_actor("grid_worker", village.code)


def report(actor, **fields):
    fields.setdefault("key", uuid.uuid4())
    fields.setdefault("cause", "illness")
    return services.file_grid_report(actor, **fields)


def test_deadlines_count_working_days_across_a_weekend(county, on_day):
    friday = dt.date(2026, 12, 4)
    due = clocks.deadlines(TOWN + "001", friday)
    assert due.acknowledge_on == dt.date(2026, 12, 7)      # Monday
    assert due.visit_on == dt.date(2026, 12, 9)            # Wednesday
    red = clocks.deadlines(TOWN + "001", friday, "red")
    assert red.visit_on == dt.date(2026, 12, 7)


def test_deadlines_skip_the_national_day_holiday(county):
    due = clocks.deadlines(TOWN + "001", dt.date(2026, 9, 30))
    assert due.acknowledge_on > dt.date(2026, 10, 7)


def test_escalation_climbs_town_leader_then_county(county):
    args = dict(area_code=TOWN + "001", acknowledge_due_on=dt.date(2026, 12, 7), visit_due_on=dt.date(2026, 12, 9),
                acknowledged=False, visited=False)
    assert clocks.escalation_for(**args, today=dt.date(2026, 12, 7)) == Escalation.NONE
    assert clocks.escalation_for(**args, today=dt.date(2026, 12, 8)) == Escalation.TOWN_LEADER
    assert clocks.escalation_for(**args, today=dt.date(2026, 12, 9)) == Escalation.TOWN_LEADER
    assert clocks.escalation_for(**args, today=dt.date(2026, 12, 10)) == Escalation.COUNTY
    done = dict(args, acknowledged=True)
    assert clocks.escalation_for(**done, today=dt.date(2026, 12, 9)) == Escalation.NONE
    assert clocks.escalation_for(**done, today=dt.date(2026, 12, 10)) == Escalation.TOWN_LEADER


def test_report_about_a_registered_household_opens_a_lead_with_deadlines(worker, grid_worker, village, on_day):
    on_day(dt.date(2026, 12, 4))
    household = make_household(worker, village.code)
    result = report(grid_worker, household_id=household.pk, urgency="urgent", note="腿摔断了")
    lead = result.report.lead
    assert result.created and lead.status == LeadStatus.NEW
    assert lead.household_id == household.pk and lead.area_id == household.area_id
    assert (lead.acknowledge_due_on, lead.visit_due_on) == (dt.date(2026, 12, 7), dt.date(2026, 12, 9))


def test_same_report_sent_twice_makes_one_lead(grid_worker, village):
    key = uuid.uuid4()
    first = report(grid_worker, key=key, name="李四", address="东街3号", area_code=village.code)
    again = report(grid_worker, key=key, name="李四", address="东街3号", area_code=village.code)
    assert first.created and not again.created
    assert again.report.pk == first.report.pk
    assert Lead.objects.count() == 1 and GridReport.objects.count() == 1


def test_a_key_used_by_someone_else_is_refused(grid_worker, make_actor, village):
    key = uuid.uuid4()
    report(grid_worker, key=key, name="李四", address="东街3号", area_code=village.code)
    other = make_actor("grid_worker", village.code)
    with pytest.raises(Conflict):
        report(other, key=key, name="李四", address="东街3号", area_code=village.code)


def test_second_report_for_a_household_joins_its_open_lead(worker, grid_worker, village):
    household = make_household(worker, village.code)
    first = report(grid_worker, household_id=household.pk, cause="illness")
    second = report(grid_worker, household_id=household.pk, cause="job_loss", urgency="urgent")
    assert second.joined and second.report.lead_id == first.report.lead_id
    lead = Lead.objects.get()
    assert lead.causes == ["illness", "job_loss"] and lead.urgency == "urgent"
    assert lead.reports.count() == 2


def test_unregistered_person_reported_twice_in_a_village_is_one_lead(grid_worker, village):
    report(grid_worker, name="王五", address="村西头", area_code=village.code)
    second = report(grid_worker, name="王\u200b五", address="村西头", area_code=village.code, cause="no_support")
    assert second.joined and Lead.objects.count() == 1


def test_report_outside_the_workers_area_is_not_found(grid_worker, other_village):
    with pytest.raises(NotFound):
        report(grid_worker, name="王五", address="村西头", area_code=other_village.code)


def test_report_needs_someone(grid_worker, village):
    with pytest.raises(ValidationError) as error:
        report(grid_worker, area_code=village.code, address="x")
    assert error.value.field == "name"


def test_photo_that_is_not_an_image_is_refused_and_the_text_kept(grid_worker, village):
    result = report(grid_worker, name="王五", address="村西头", area_code=village.code, photo=b"not an image at all")
    assert result.created and "not an image" in result.photo_refused
    assert result.report.photo == "" and result.report.note == ""


def test_photo_too_large_is_refused(grid_worker, village, settings):
    settings.DISCOVERY_PHOTO_MAX_BYTES = 100
    result = report(grid_worker, name="王五", address="村西头", area_code=village.code, photo=_png())
    assert "too large" in result.photo_refused and result.report.photo == ""


def test_photo_is_kept_privately(grid_worker, village):
    result = report(grid_worker, name="王五", address="村西头", area_code=village.code, photo=_png())
    assert result.report.photo.startswith("discovery/photo-") and result.report.photo_type == "image/png"


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.frombytes("RGB", (64, 64), bytes(range(256)) * 48).save(buffer, "PNG")
    return buffer.getvalue()


def test_lead_actions_and_their_area(worker, grid_worker, village, make_actor):
    lead = report(grid_worker, name="王五", address="村西头", area_code=village.code).report.lead
    stranger = make_actor("town_worker", OTHER_TOWN)
    with pytest.raises(NotFound):
        services.acknowledge_lead(actor=stranger, lead_id=lead.pk)
    with pytest.raises(Exception) as denied:
        services.acknowledge_lead(actor=grid_worker, lead_id=lead.pk)
    assert denied.type.__name__ == "PermissionDenied"
    services.acknowledge_lead(actor=worker, lead_id=lead.pk)
    lead = services.record_visit(actor=worker, lead_id=lead.pk, in_need=False, note="有子女赡养")
    assert lead.status == LeadStatus.VISITED
    lead = services.close_lead(actor=worker, lead_id=lead.pk, reason="not_in_need")
    assert lead.status == LeadStatus.CLOSED and lead.events.count() == 4
    with pytest.raises(Conflict):
        services.close_lead(actor=worker, lead_id=lead.pk, reason="not_in_need")


def test_merge_moves_reports_and_causes(worker, grid_worker, village):
    a = report(grid_worker, name="王五", address="村西头", area_code=village.code).report.lead
    b = report(grid_worker, name="王老五", address="村西头", area_code=village.code, cause="disability").report.lead
    into = services.merge_leads(actor=worker, lead_id=b.pk, into_id=a.pk)
    assert into.causes == ["illness", "disability"] and into.reports.count() == 2
    assert Lead.objects.get(pk=b.pk).status == LeadStatus.MERGED


def test_overdue_leads_escalate_once_a_day(worker, grid_worker, village, on_day, make_actor):
    on_day(dt.date(2026, 12, 4))
    lead = report(grid_worker, name="王五", address="村西头", area_code=village.code).report.lead
    officer = make_actor("county_officer", "130123")
    assert services.escalate_overdue_leads(actor=officer, on=dt.date(2026, 12, 7)).to_town_leader == 0
    result = services.escalate_overdue_leads(actor=officer, on=dt.date(2026, 12, 8))
    assert result.to_town_leader == 1
    assert services.escalate_overdue_leads(actor=officer, on=dt.date(2026, 12, 8)).to_town_leader == 0
    assert services.escalate_overdue_leads(actor=officer, on=dt.date(2026, 12, 10)).to_county == 1
    lead.refresh_from_db()
    assert lead.escalation == Escalation.COUNTY
