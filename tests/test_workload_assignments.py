"""Assigning open work (workload/assignments.py): proposals by capacity, the office's own choice,
re-assignment and lending, each refusal with its reason, denial by role and by town, idempotent
bulk assignment of a town's new work."""
from __future__ import annotations

import pytest

from safetynet.cases import services as case_services
from safetynet.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from safetynet.core.models import AuditEvent
from safetynet.registry.services import create_household, link_kinship
from safetynet.workforce.models import StaffIdentity
from safetynet.workload import assignments
from safetynet.workload.assignments import WorkRef, assign, assign_new_work, assign_one, reassign
from safetynet.workload.models import WorkAssignment
from tests.cases_helpers import investigators
from tests.conftest import COUNTY, OTHER_TOWN, TOWN
from tests.workload_helpers import make_case_to_survey, staff, work  # noqa: F401  (fixture)


def _refs(w, worker=None):
    return [WorkRef("case", w.case.pk, worker), WorkRef("recheck", w.recheck.pk, worker), WorkRef("lead", w.lead.pk, worker)]


def test_new_work_is_spread_over_the_towns_staff_and_recorded(work):
    w = work
    outcomes = assign(actor=w.posts.worker, items=_refs(w))
    assert all(o.ok for o in outcomes)
    workers = [o.assignment.worker_id for o in outcomes]
    assert set(workers) == {w.wang.pk, w.li.pk}               # three items, two workers: spread
    row = WorkAssignment.objects.get(case=w.case)
    assert (row.kind, row.reason, row.is_current, row.area_id, row.household_id) == (
        "case", "proposed", True, w.case.area_id, w.case.household_id)
    assert row.due_on == w.case.next_due and row.assigned_by_id == w.posts.worker.user_id
    assert AuditEvent.objects.filter(action="workload.assign").count() == 3


def test_a_relative_of_the_household_is_never_proposed(work, village, clock):
    w = work
    # 李工作 lives in the county and is the sibling of the case's head.
    home = create_household(actor=w.posts.worker, area_code=village.code, address="李家", registration_type="rural",
                            members=[{"name": "李工作", "id_number": w.li.id_number, "relation_to_head": "head"}])
    link_kinship(actor=w.posts.worker, person_id=home.head_id, relation="sibling", relative_id=w.case.applicant_id)
    # 王工作 already carries more than 李: still, the case goes to 王.
    assign(actor=w.posts.worker, items=[WorkRef("lead", w.lead.pk, w.wang.pk)])
    [first] = assign(actor=w.posts.worker, items=[WorkRef("case", w.case.pk)])
    assert first.assignment.worker_id == w.wang.pk
    # Chosen by the office, he is refused with the reason.
    second = make_case_to_survey(w.posts, village, clock)
    link_kinship(actor=w.posts.worker, person_id=home.head_id, relation="sibling", relative_id=second.applicant_id)
    with pytest.raises(ValidationError) as refused:
        assign_one(actor=w.posts.worker, item=WorkRef("case", second.pk, w.li.pk))
    assert refused.value.code == "worker_is_relative"


def test_each_refusal_says_why_and_holds_back_no_other(work, village):
    w = work
    outcomes = assign(actor=w.posts.worker, items=[
        WorkRef("case", w.case.pk, w.other.pk),       # another town's staff: outside the post's area
        WorkRef("recheck", w.recheck.pk, w.cadre.pk),  # a village committee member
        WorkRef("lead", w.lead.pk, w.wang.pk),         # fine
        WorkRef("lead", w.lead.pk, w.li.pk),           # the same item twice
        WorkRef("case", 999999),                       # nothing there
        WorkRef("parcel", 1),                          # no such kind
    ])
    errors = [o.error.code if o.error else "ok" for o in outcomes]
    assert errors == ["not_found", "worker_not_town_staff", "ok", "duplicate", "not_found", "invalid"]
    assert outcomes[0].error.field == "worker"
    assert WorkAssignment.objects.count() == 1
    # Chosen by the county (which sees both towns): the other town's worker is refused by town.
    [o] = assign(actor=w.posts.officer, items=[WorkRef("case", w.case.pk, w.other.pk)])
    assert o.error.code == "worker_other_town"
    # Already held: re-assign instead; an inactive worker is refused.
    with pytest.raises(Conflict) as held:
        assign_one(actor=w.posts.worker, item=WorkRef("lead", w.lead.pk))
    assert held.value.code == "already_assigned"
    StaffIdentity.objects.filter(pk=w.li.pk).update(is_active=False)
    with pytest.raises(ValidationError) as inactive:
        assign_one(actor=w.posts.worker, item=WorkRef("case", w.case.pk, w.li.pk))
    assert inactive.value.code == "worker_inactive"


def test_finished_work_is_not_assigned(work, clock):
    w = work
    case_services.record_survey(actor=w.posts.worker, case_id=w.case.pk, conducted_on=clock(),
                                investigators=investigators(), findings="困难", signed_by_household=True)
    with pytest.raises(Conflict) as closed:
        assign_one(actor=w.posts.worker, item=WorkRef("case", w.case.pk))
    assert closed.value.code == "work_closed"


def test_nobody_eligible_is_said(posts, clock, standards, village):
    case = make_case_to_survey(posts, village, clock)
    with pytest.raises(ValidationError) as nobody:
        assign_one(actor=posts.worker, item=WorkRef("case", case.pk))
    assert nobody.value.code == "no_eligible_worker"


def test_denied_by_role_and_by_town(work):
    w = work
    for actor in (w.posts.cadre, w.posts.inspector, w.posts.grid):
        with pytest.raises(PermissionDenied):
            assign(actor=actor, items=_refs(w))
    # Another town's worker: the items are not in its area.
    outcomes = assign(actor=w.posts.other_worker, items=_refs(w))
    assert [o.error.code for o in outcomes] == ["not_found"] * 3
    assert isinstance(outcomes[0].error, NotFound)
    with pytest.raises(NotFound):
        assign_new_work(actor=w.posts.other_worker, town_code=TOWN)
    # A town worker may assign but not re-assign; the town leader may.
    assign(actor=w.posts.worker, items=_refs(w))
    with pytest.raises(PermissionDenied):
        reassign(actor=w.posts.worker, items=[WorkRef("case", w.case.pk)])
    with pytest.raises(PermissionDenied):
        assign(actor=w.posts.leader, items=_refs(w), reason="lent")
    assert AuditEvent.objects.filter(action__startswith="workload.").count() == 3


def test_the_town_leader_reassigns_and_the_history_is_kept(work):
    w = work
    [first] = assign(actor=w.posts.worker, items=[WorkRef("case", w.case.pk, w.wang.pk)])
    assert first.assignment.reason == "chosen"
    # Without a name: the capacity rule's choice among the others.
    [moved] = reassign(actor=w.posts.leader, items=[WorkRef("case", w.case.pk)], note="王请假")
    assert moved.ok and moved.assignment.worker_id == w.li.pk and moved.ended.pk == first.assignment.pk
    rows = list(WorkAssignment.objects.filter(case=w.case).order_by("id"))
    assert [(r.worker_id, r.is_current, r.reason) for r in rows] == [
        (w.wang.pk, False, "chosen"), (w.li.pk, True, "reassigned")]
    assert rows[0].ended_at is not None and rows[1].note == "王请假"
    event = AuditEvent.objects.filter(action="workload.reassign").get()
    assert event.before == {"worker": w.wang.pk}
    # To the same worker: refused; what nobody holds: refused; the other town's leader: not found.
    [same] = reassign(actor=w.posts.leader, items=[WorkRef("case", w.case.pk, w.li.pk)])
    assert same.error.code == "same_worker"
    [unheld] = reassign(actor=w.posts.leader, items=[WorkRef("lead", w.lead.pk)])
    assert unheld.error.code == "not_assigned"
    [elsewhere] = reassign(actor=w.posts.other_leader, items=[WorkRef("case", w.case.pk, w.wang.pk)])
    assert elsewhere.error.code == "not_found"


def test_the_county_lends_work_to_a_providers_worker(work, make_actor):
    w = work
    assign(actor=w.posts.worker, items=[WorkRef("case", w.case.pk)])
    provider_post = make_actor("provider_worker", TOWN)
    provider = staff(w.posts.officer, "周服务", COUNTY, kind="county_staff", user_id=provider_post.user_id,
                     employment="provider_worker")
    # Not by the office's ordinary choice: the provider's worker is no town staff.
    [ordinary] = assign(actor=w.posts.officer, items=[WorkRef("lead", w.lead.pk, provider.pk)])
    assert ordinary.error.code == "worker_not_town_staff"
    # Lent, by the county: taken over from the town's worker, the row says so.
    [lent] = assign(actor=w.posts.officer, items=[WorkRef("case", w.case.pk, provider.pk),
                                                  WorkRef("lead", w.lead.pk)], reason="lent")[:1]
    assert lent.ok and lent.assignment.reason == "lent" and lent.ended is not None
    assert WorkAssignment.objects.get(case=w.case, is_current=True).worker_id == provider.pk
    # Lending names the worker; the town cannot lend.
    [unnamed] = assign(actor=w.posts.officer, items=[WorkRef("lead", w.lead.pk)], reason="lent")
    assert unnamed.error.code == "worker_required"
    with pytest.raises(PermissionDenied):
        assign(actor=w.posts.worker, items=[WorkRef("lead", w.lead.pk, provider.pk)], reason="lent")


def test_a_towns_new_work_is_assigned_once(work):
    w = work
    first = assign_new_work(actor=w.posts.worker, town_code=TOWN)
    assert (first.open, first.assigned, dict(first.refused)) == (3, 3, {})
    again = assign_new_work(actor=w.posts.worker, town_code=TOWN)
    assert (again.open, again.assigned) == (0, 0)
    assert WorkAssignment.objects.filter(is_current=True).count() == 3
    with pytest.raises(NotFound):
        assign_new_work(actor=w.posts.officer, town_code="130123999")
    # The other town has no open work: nothing to do there.
    assert assign_new_work(actor=w.posts.officer, town_code=OTHER_TOWN).open == 0


def test_unassigned_refs_are_in_due_order(work):
    refs = assignments.unassigned_refs(TOWN)
    assert {(r.kind, r.id) for r in refs} == {("case", work.case.pk), ("recheck", work.recheck.pk), ("lead", work.lead.pk)}


def test_the_command_assigns_a_countys_new_work_once(work):
    import io

    from django.core.management import CommandError, call_command

    out = io.StringIO()
    call_command("assign_work", county=COUNTY, stdout=out)
    assert f"{TOWN}: 3 open items nobody held, 3 assigned" in out.getvalue()
    assert "10 towns: 3 items assigned, 0 could not be." in out.getvalue()
    again = io.StringIO()
    call_command("assign_work", town=TOWN, stdout=again)
    assert "1 towns: 0 items assigned" in again.getvalue()
    with pytest.raises(CommandError):
        call_command("assign_work", town="1301231", stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("assign_work", county="999999", stdout=io.StringIO())


def test_who_counts_as_the_towns_staff(work, village):
    """A contracted assistant placed at a village of the town takes its work; a provider's worker
    registered as town staff is never proposed nor chosen, only lent to; a half-time worker with
    the same items carries twice the load."""
    w = work
    StaffIdentity.objects.filter(pk__in=[w.wang.pk, w.li.pk]).update(is_active=False)
    assistant = staff(w.posts.officer, "钱协理", village.code, kind="village_committee", employment="contracted_assistant",
                      full_time_share="0.5")
    provider = staff(w.posts.officer, "吴服务", TOWN, employment="provider_worker")
    outcomes = assign(actor=w.posts.worker, items=_refs(w))
    assert [o.assignment.worker_id for o in outcomes] == [assistant.pk] * 3
    [chosen] = reassign(actor=w.posts.officer, items=[WorkRef("case", w.case.pk, provider.pk)])
    assert chosen.error.code == "worker_not_town_staff"
    # Lending wants a provider's worker; the assistant is none.
    [lent_to_staff] = assign(actor=w.posts.officer, items=[WorkRef("lead", w.lead.pk, assistant.pk)], reason="lent")
    assert lent_to_staff.error.code == "worker_not_provider"
    [lent] = assign(actor=w.posts.officer, items=[WorkRef("lead", w.lead.pk, provider.pk)], reason="lent")
    assert lent.ok and lent.ended.worker_id == assistant.pk
    from safetynet.workload.overview import worker_loads

    [load] = worker_loads(w.posts.worker, TOWN, on=assignments.today())
    assert load.id == assistant.pk and load.items == 2 and load.load == 2 * load.weight
