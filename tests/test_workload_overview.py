"""The workload overview (workload/overview.py) on planted data: open work and overdue by town,
unassigned, staff and their full-time equivalent, enrolled households, the norms' flags; the
workers' loads; the SQL weight equal to the capacity rule's."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import DateField, Value
from django.utils import timezone

from safetynet.cases.models import Case
from safetynet.core.errors import NotFound, PermissionDenied
from safetynet.discovery.models import Lead
from safetynet.enrollments.change_models import Recheck
from safetynet.programs.catalogue import WORKFORCE
from safetynet.workload import capacity, overview
from safetynet.workload.assignments import WorkRef, assign
from safetynet.workload.models import WorkAssignment
from safetynet.workload.overview import TownLoad, judge, town_loads, worker_loads, workload_at_a_glance
from safetynet.workload.selectors import weight_expression
from tests.conftest import COUNTY, OTHER_TOWN, TOWN
from tests.workload_helpers import make_case_to_survey, staff, work  # noqa: F401  (fixture)


def _town(towns, code) -> TownLoad:
    return next(t for t in towns if t.code == code)


def test_the_county_sees_each_towns_open_work_overdue_staff_and_flags(work, clock, village):
    w = work
    # Make the lead overdue (its visit was due yesterday) and add a second case to survey.
    Lead.objects.filter(pk=w.lead.pk).update(acknowledged_at=timezone.now(), visit_due_on=clock() - dt.timedelta(days=1),
                                             acknowledge_due_on=clock() - dt.timedelta(days=3))
    make_case_to_survey(w.posts, village, clock)
    assign(actor=w.posts.worker, items=[WorkRef("case", w.case.pk)])
    towns = town_loads(w.posts.officer, COUNTY, on=clock())
    assert len(towns) == 10 and [t.code for t in towns] == sorted(t.code for t in towns)
    town = _town(towns, TOWN)
    assert (town.cases, town.rechecks, town.leads) == (2, 1, 1)
    # The first case's survey fell due while the re-check's case was walked a week on.
    late_cases = Case.objects.filter(is_open=True, next_action="record_survey", next_due__lt=clock()).count()
    assert late_cases == 1
    assert (town.leads_overdue, town.cases_overdue, town.rechecks_overdue) == (1, 1, 0)
    assert (town.open, town.overdue, town.unassigned) == (4, 2, 3)
    assert (town.workers, town.fte) == (2, Decimal("2"))           # 王 and 李; the cadre is no town staff
    assert town.households == 1                                     # the re-check's enrollment
    assert (town.open_items_per_worker, town.caseload_per_worker, town.min_workers_per_town) == (25, 200, 2)
    assert town.items_per_fte == Decimal("2.0") and not town.flagged
    # The other town: one worker, no work: understaffed (the norm wants two), not over norm.
    other = _town(towns, OTHER_TOWN)
    assert (other.workers, other.open, other.understaffed, other.over_norm, other.reasons) == (
        1, 0, True, False, ["understaffed"])
    # A town's post sees its own town; the other town's, its own; nothing of another county.
    assert [t.code for t in town_loads(w.posts.worker, COUNTY, on=clock())] == [TOWN]
    assert [t.code for t in town_loads(w.posts.other_worker, OTHER_TOWN, on=clock())] == [OTHER_TOWN]
    with pytest.raises(NotFound):
        town_loads(w.posts.worker, OTHER_TOWN, on=clock())
    with pytest.raises(NotFound):
        town_loads(w.posts.officer, "130124", on=clock())
    with pytest.raises(PermissionDenied):
        town_loads(w.posts.grid, COUNTY, on=clock())


def test_the_norms_are_parameters_of_the_town(work, clock, system):
    from safetynet.programs.services import set_parameter

    w = work
    set_parameter(actor=system, program_code=WORKFORCE, key="open_items_per_worker", value="1", area_code=TOWN,
                  effective_from=clock().replace(day=1), reason="试点")
    town = _town(town_loads(w.posts.officer, COUNTY, on=clock()), TOWN)
    assert town.open_items_per_worker == 1 and town.over_norm and town.reasons == ["items_over_norm"]
    glance = workload_at_a_glance(w.posts.officer, COUNTY, on=clock())
    assert glance["open"] == 3 and glance["towns"] == 10 and glance["over_norm"] == 1
    assert {"code": TOWN, "name": town.name, "reasons": ["items_over_norm"]} in glance["flagged_towns"]


def test_flags_on_planted_figures():
    base = dict(code=TOWN, name="镇", open_items_per_worker=25, caseload_per_worker=200, min_workers_per_town=2)
    assert judge(TownLoad(**base, cases=50, fte=Decimal("2"))).reasons == []
    assert judge(TownLoad(**base, cases=51, fte=Decimal("2"))).reasons == ["items_over_norm"]
    assert judge(TownLoad(**base, households=401, fte=Decimal("2"))).reasons == ["households_over_norm"]
    assert judge(TownLoad(**base, leads=1, fte=Decimal("1.5"))).reasons == ["understaffed"]
    nobody = judge(TownLoad(**base, rechecks=1, households=3))
    assert nobody.reasons == ["understaffed", "items_over_norm", "households_over_norm"]
    assert nobody.items_per_fte is None and nobody.understaffed and nobody.over_norm


def test_worker_loads_count_open_items_weighted_by_deadline(work, clock):
    w = work
    Recheck.objects.filter(pk=w.recheck.pk).update(due_on=clock() - dt.timedelta(days=2))     # overdue: 3
    assign(actor=w.posts.worker, items=[WorkRef("recheck", w.recheck.pk, w.li.pk), WorkRef("lead", w.lead.pk, w.li.pk),
                                        WorkRef("case", w.case.pk, w.wang.pk)])
    loads = {l.id: l for l in worker_loads(w.posts.worker, TOWN, on=clock())}
    li, wang = loads[w.li.pk], loads[w.wang.pk]
    lead_due = Lead.objects.get(pk=w.lead.pk).acknowledge_due_on
    assert (li.items, li.overdue, li.rechecks, li.leads) == (2, 1, 1, 1)
    assert li.weight == 3 + capacity.item_weight(lead_due, clock())
    assert wang.items == 1 and wang.weight == capacity.item_weight(w.case.next_due, clock())
    assert li.load == Decimal(li.weight).quantize(Decimal("0.01"))
    assert list(loads)[0] == w.li.pk                                 # heaviest first
    with pytest.raises(NotFound):
        worker_loads(w.posts.other_worker, TOWN, on=clock())


def test_the_sql_weight_is_the_capacity_rules(work, clock):
    """Every due date from 10 days late to 10 days ahead, and none: SQL and Python agree."""
    on = clock()
    for offset in [None, *range(-10, 11)]:
        due = None if offset is None else on + dt.timedelta(days=offset)
        [sql_weight] = (Recheck.objects.filter(pk=work.recheck.pk).annotate(due=Value(due, output_field=DateField()))
                        .annotate(weight=weight_expression(on)).values_list("weight", flat=True))
        assert sql_weight == capacity.item_weight(due, on), offset


def test_an_assignment_whose_work_is_done_no_longer_loads_its_worker(work, clock):
    from safetynet.cases import services as case_services
    from tests.cases_helpers import investigators

    w = work
    assign(actor=w.posts.worker, items=[WorkRef("case", w.case.pk, w.wang.pk)])
    case_services.record_survey(actor=w.posts.worker, case_id=w.case.pk, conducted_on=clock(),
                                investigators=investigators(), findings="困难", signed_by_household=True)
    assert WorkAssignment.objects.get(case=w.case).is_current          # the record of who did it
    loads = {l.id: l for l in worker_loads(w.posts.worker, TOWN, on=clock())}
    assert loads[w.wang.pk].items == 0
    assert overview.town_loads(w.posts.officer, COUNTY, on=clock())[0].cases == 0


def test_the_full_time_equivalent_sums_the_shares(work, clock, village):
    from safetynet.workforce.models import StaffIdentity

    w = work
    StaffIdentity.objects.filter(pk=w.li.pk).update(full_time_share=Decimal("0.5"))
    staff(w.posts.officer, "钱协理", village.code, kind="village_committee", employment="contracted_assistant",
          full_time_share="0.8")
    staff(w.posts.officer, "吴服务", TOWN, employment="provider_worker")      # not the town's own staff
    town = _town(town_loads(w.posts.officer, COUNTY, on=clock()), TOWN)
    assert (town.workers, town.fte) == (3, Decimal("2.30"))
    assert town.items_per_fte == Decimal("1.3")
