"""Open work of every kind in 正定镇 for the workload tests: a case to survey, a re-check and a
lead, each of its own household, and the town's staff (two town workers, one of them the
`posts.worker` login), another town's worker and a village committee member."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from safetynet.discovery.services import LeadInput, open_lead
from safetynet.enrollments import rechecks
from safetynet.enrollments.models import Enrollment
from safetynet.workforce.services import register_staff_identity
from tests.cases_helpers import D, make_poor_household, new_id, walk
from tests.conftest import OTHER_TOWN, TOWN


@dataclass
class Work:
    posts: object
    case: object
    recheck: object
    lead: object
    wang: object        # town staff, the posts.worker login
    li: object          # town staff, no login
    other: object       # the other town's staff
    cadre: object       # a village committee member of the town


def staff(officer, name: str, area: str, kind: str = "town_staff", user_id=None, birth=D(1980, 1, 1), **more):
    return register_staff_identity(actor=officer, name=name, id_number=new_id(birth), area_code=area, kind=kind,
                                   user_id=user_id, **more)


def make_case_to_survey(posts, village, clock):
    return walk(posts, make_poor_household(posts.worker, village.code), clock, to="accepted")


def make_recheck(posts, village, clock):
    case = walk(posts, make_poor_household(posts.worker, village.code), clock, to="confirmed")
    enrollment = Enrollment.objects.get(case=case)
    recheck, _created = rechecks.open_or_join(enrollment, reason="change_report", detail="收入变化", today=clock())
    return recheck


def make_lead(posts, village, clock):
    household = make_poor_household(posts.worker, village.code)
    return open_lead(posts.worker, LeadInput(source="walk_in", cause="illness", household_id=household.pk)).lead


@pytest.fixture
def work(posts, clock, standards, village, other_village):
    officer = posts.officer
    return Work(
        posts=posts,
        case=make_case_to_survey(posts, village, clock),
        recheck=make_recheck(posts, village, clock),
        lead=make_lead(posts, village, clock),
        wang=staff(officer, "王工作", TOWN, user_id=posts.worker.user_id),
        li=staff(officer, "李工作", TOWN),
        other=staff(officer, "赵外镇", OTHER_TOWN),
        cadre=staff(officer, "孙委员", village.code, kind="village_committee"),
    )
