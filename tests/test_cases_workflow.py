"""The case workflow: every step of the dibao path succeeds for the right post, and is refused
for the wrong role (403), the wrong area (404) and out of order (409), leaving the case as it
was; the table itself; optimistic locking."""
from __future__ import annotations

import pytest

from safetynet.areas.models import Area
from safetynet.core.unitofwork import unit_of_work
from safetynet.cases import services, workflow
from safetynet.cases.errors import StaleCase, TransitionNotAllowed
from safetynet.cases.models import Case, CaseEvent, Decision
from safetynet.core.errors import Conflict, NotFound, PermissionDenied
from safetynet.core.models import AuditEvent
from safetynet.enrollments.models import Enrollment
from tests.cases_helpers import investigators, walk


@pytest.fixture
def other_county_officer(make_actor, county):
    Area.objects.create(code="130124", name="测试县", level="county", parent_id="1301")
    return make_actor("county_officer", "130124")


def _survey(actor, case, clock):
    return services.record_survey(actor=actor, case_id=case.pk, conducted_on=clock(), investigators=investigators(),
                                  findings="家中困难", signed_by_household=True)


def _close(actor, case, clock):
    clock.advance(7)
    return services.close_notice(actor=actor, case_id=case.pk)


# step, status it starts from, call, right post, a post whose role may not, the status that is
# too early for it, whether the acting level is the county (the wrong area is another county).
STEPS = [
    ("accept", "applied", lambda a, c, k: services.accept_application(actor=a, case_id=c.pk), "worker", "cadre", "accepted", False),
    ("record_survey", "accepted", _survey, "worker", "leader", "applied", False),
    ("verify", "surveyed", lambda a, c, k: services.record_manual_verification(actor=a, case_id=c.pk, summary="无异常"),
     "officer", "worker", "accepted", True),
    ("give_town_opinion", "verified", lambda a, c, k: services.give_town_opinion(actor=a, case_id=c.pk), "worker", "cadre",
     "surveyed", False),
    ("publish_notice", "town_reviewed", lambda a, c, k: services.publish_notice(actor=a, case_id=c.pk), "worker", "leader",
     "verified", False),
    ("close_notice", "in_notice", _close, "worker", "leader", "town_reviewed", False),
    ("confirm", "notice_closed", lambda a, c, k: services.confirm_case(actor=a, case_id=c.pk), "officer", "worker",
     "in_notice", True),
]
IDS = [s[0] for s in STEPS]


def _state(case_id):
    case = Case.objects.get(pk=case_id)
    return case.status, case.version, CaseEvent.objects.filter(case_id=case_id).count()


@pytest.mark.parametrize("step", STEPS, ids=IDS)
def test_step_succeeds_for_the_right_post(step, posts, poor_household, clock, standards):
    name, start, call, right, _wrong, _early, _county = step
    case = walk(posts, poor_household, clock, to=start)
    before_events = AuditEvent.objects.filter(action=f"cases.{name}").count()
    call(getattr(posts, right), case, clock)
    case.refresh_from_db()
    assert case.status == workflow.TRANSITIONS[(start, name)].target
    event = CaseEvent.objects.filter(case_id=case.pk).last()
    assert (event.action, event.from_status, event.to_status) == (name, start, case.status)
    assert event.actor_username == getattr(posts, right).username
    assert AuditEvent.objects.filter(action=f"cases.{name}").count() == before_events + 1


@pytest.mark.parametrize("step", STEPS, ids=IDS)
def test_step_refused_for_the_wrong_role(step, posts, poor_household, clock, standards):
    name, start, call, _right, wrong, _early, _county = step
    case = walk(posts, poor_household, clock, to=start)
    before = _state(case.pk)
    with pytest.raises(PermissionDenied):
        call(getattr(posts, wrong), case, clock)
    assert _state(case.pk) == before
    # An inspector reads everything and writes nothing.
    with pytest.raises(PermissionDenied):
        call(posts.inspector, case, clock)
    assert _state(case.pk) == before


@pytest.mark.parametrize("step", STEPS, ids=IDS)
def test_step_refused_outside_the_area(step, posts, poor_household, clock, standards, other_county_officer):
    name, start, call, _right, _wrong, _early, county_level = step
    case = walk(posts, poor_household, clock, to=start)
    before = _state(case.pk)
    outsider = other_county_officer if county_level else posts.other_worker
    with pytest.raises(NotFound):
        call(outsider, case, clock)
    assert _state(case.pk) == before


@pytest.mark.parametrize("step", STEPS, ids=IDS)
def test_step_refused_out_of_order(step, posts, poor_household, clock, standards):
    name, _start, call, right, _wrong, early, _county = step
    case = walk(posts, poor_household, clock, to=early)
    before = _state(case.pk)
    with pytest.raises(TransitionNotAllowed) as error:
        call(getattr(posts, right), case, clock)
    assert error.value.status == 409
    assert _state(case.pk) == before


def test_confirming_before_the_notice_ends_is_refused(posts, poor_household, clock, standards):
    case = walk(posts, poor_household, clock, to="in_notice")
    clock.advance(6)  # the notice's last day: still running
    with pytest.raises(TransitionNotAllowed, match="public notice runs until"):
        services.close_notice(actor=posts.worker, case_id=case.pk)
    with pytest.raises(TransitionNotAllowed):
        services.confirm_case(actor=posts.officer, case_id=case.pk)
    clock.advance(1)
    services.close_notice(actor=posts.worker, case_id=case.pk)
    assert not Decision.objects.filter(case_id=case.pk).exists()


def test_confirming_without_a_survey_is_refused(posts, poor_household, clock, standards):
    case = walk(posts, poor_household, clock, to="accepted")
    with pytest.raises(TransitionNotAllowed, match="not possible while the case is accepted"):
        services.confirm_case(actor=posts.officer, case_id=case.pk)
    assert not Enrollment.objects.exists()


def test_a_decision_by_a_post_outside_the_area_is_refused(posts, poor_household, clock, standards, other_county_officer):
    case = walk(posts, poor_household, clock, to="notice_closed")
    with pytest.raises(NotFound):
        services.confirm_case(actor=other_county_officer, case_id=case.pk)
    with pytest.raises(NotFound):
        services.refuse_case(actor=other_county_officer, case_id=case.pk, reasons="不符合")
    # A town leader of another town, even where towns confirm, does not see the case at all.
    case.decider_level = "town"
    Case.objects.filter(pk=case.pk).update(decider_level="town")
    with pytest.raises(NotFound):
        services.confirm_case(actor=posts.other_leader, case_id=case.pk)
    assert _state(case.pk)[0] == "notice_closed"


def test_town_leader_confirms_only_where_delegated(posts, poor_household, clock, standards):
    case = walk(posts, poor_household, clock, to="notice_closed")
    assert case.decider_level == "county"
    with pytest.raises(PermissionDenied, match="Only the county"):
        services.confirm_case(actor=posts.leader, case_id=case.pk)
    Case.objects.filter(pk=case.pk).update(decider_level="town")
    decision = services.confirm_case(actor=posts.leader, case_id=case.pk)
    assert decision.decided_by == posts.leader.username


def test_concurrent_confirmations_one_wins_the_other_gets_conflict(posts, poor_household, clock, standards):
    case = walk(posts, poor_household, clock, to="notice_closed")
    # Two county users open the same case page (same version) and both press "confirm".
    seen = case.version
    first = Case.objects.get(pk=case.pk)
    second = Case.objects.get(pk=case.pk)
    with unit_of_work() as uow:
        workflow.transition(uow, first, "confirm", posts.officer)
    with pytest.raises(Conflict) as error, unit_of_work() as uow:
        workflow.transition(uow, second, "confirm", posts.county_leader)
    assert error.value.status == 409
    assert Case.objects.get(pk=case.pk).version == seen + 1        # the loser's step left nothing
    assert CaseEvent.objects.filter(case_id=case.pk, action="confirm").count() == 1
    # Through the service, the version the page showed is checked the same way.
    with pytest.raises(StaleCase):
        services.confirm_case(actor=posts.county_leader, case_id=case.pk, version=seen)
    assert Decision.objects.filter(case_id=case.pk).count() == 0   # only the service writes decisions


def test_concurrent_confirmations_through_the_service(posts, poor_household, clock, standards):
    case = walk(posts, poor_household, clock, to="notice_closed")
    seen = case.version
    services.confirm_case(actor=posts.officer, case_id=case.pk, version=seen)
    with pytest.raises(StaleCase):
        services.confirm_case(actor=posts.county_leader, case_id=case.pk, version=seen)
    assert Decision.objects.filter(case_id=case.pk).count() == 1
    assert Enrollment.objects.filter(case_id=case.pk).count() == 1


def test_the_table_is_one_table():
    assert len(workflow.TRANSITIONS) == len(workflow._ROWS)
    for (source, action), row in workflow.TRANSITIONS.items():
        assert row.source == source and row.action == action
        # The medical reimbursement's decision is for posts that decide reimbursements (medical.reimburse).
        assert row.permission.startswith("cases.") or (row.paths == {workflow.MEDICAL} and row.permission == "medical.reimburse")
        assert all(g in workflow.GUARDS for g in row.guards)
    # Nothing leaves a closed state except reopening.
    for (source, action), row in workflow.TRANSITIONS.items():
        if source in ("confirmed", "refused", "withdrawn"):
            assert action == "reopen"


def test_allowed_actions_lists_only_what_the_post_may_do(posts, poor_household, clock, standards):
    case = walk(posts, poor_household, clock, to="notice_closed")
    assert "confirm" in workflow.allowed_actions(case, posts.officer)
    assert "confirm" not in workflow.allowed_actions(case, posts.worker)
    assert workflow.allowed_actions(case, posts.inspector) == []
    assert workflow.allowed_actions(case, posts.other_worker) == []


def test_status_is_never_assigned_outside_the_transition():
    """DESIGN.md §8 rule 4, checked on the source: only workflow.py writes Case.status."""
    import pathlib
    import re

    root = pathlib.Path(workflow.__file__).parent
    for path in root.glob("*.py"):
        if path.name in ("workflow.py", "models.py"):
            continue
        text = path.read_text()
        assert not re.search(r"\bcase\.status\s*=(?!=)", text), path.name
        assert not re.search(r"Case\.objects[^\n]*update\([^\n]*status", text), path.name
