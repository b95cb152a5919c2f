"""Fixtures of the purchased-services tests (issue 19 part 4): a county with open work in 正定镇 (two
accepted cases, an open re-check, an open lead) and in 新城铺镇, a registered provider with two
workers (each a staff identity with a provider_worker login at the county) and a signed contract
for surveys and discovery in force. Test modules import the fixture by name."""
from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

import pytest
from stdnum.cn import uscc

from tests.cases_helpers import D, make_poor_household, new_id, walk
from tests.conftest import COUNTY, OTHER_TOWN, TOWN

_n = itertools.count(1)


def valid_uscc(seed: int | None = None) -> str:
    """A unified social credit code with its right check character (a social organisation, 5)."""
    body = f"52130123MJ{(seed if seed is not None else next(_n)):07d}"
    return body + uscc.calc_check_digit(body)


@dataclass
class World:
    posts: object
    clock: object
    payroll: object
    provider: object = None
    contract: object = None
    worker: object = None           # ProviderWorker
    worker_actor: object = None     # its provider_worker post
    other_worker: object = None
    other_worker_actor: object = None
    case: object = None             # open, 正定镇
    case2: object = None            # open, 正定镇
    far_case: object = None         # open, 新城铺镇
    recheck: object = None
    lead: object = None


def provider_worker(officer, make_actor, provider, name: str):
    """A provider_worker post at the county, its staff identity, linked to the provider."""
    from django.contrib.auth import get_user_model

    from safetynet.services import providers
    from safetynet.workforce.services import register_staff_identity

    actor = make_actor("provider_worker", COUNTY)
    user = get_user_model().objects.get(pk=actor.user_id)
    identity = register_staff_identity(actor=officer, name=name, id_number=new_id(D(1990, 1, 1)), area_code=COUNTY,
                                       kind="county_staff", employment="provider_worker", user_id=user.pk)
    return providers.register_provider_worker(actor=officer, provider_id=provider.pk, staff_identity_id=identity.pk), actor


@pytest.fixture
def world(payroll, clock, make_actor):
    from safetynet.cases import services as case_services
    from safetynet.discovery import services as discovery_services
    from safetynet.enrollments.change_models import Recheck
    from safetynet.services import contracts, providers

    p = payroll.posts
    w = World(posts=p, clock=clock, payroll=payroll)
    w.case = walk(p, make_poor_household(p.worker, payroll.village.code), clock, to="accepted")
    w.case2 = walk(p, make_poor_household(p.worker, payroll.village.code), clock, to="accepted")
    far = make_poor_household(p.other_worker, payroll.other_village.code)
    far_case = case_services.apply_for_assistance(actor=p.other_worker, program_code="dibao", household_id=far.pk,
                                                  applicant_id=far.head_id, channel="walk_in")
    case_services.accept_application(actor=p.other_worker, case_id=far_case.pk)
    w.far_case = far_case
    w.recheck = Recheck.objects.create(enrollment=payroll.base, area=payroll.base.area, reason="scheduled",
                                       opened_on=clock(), due_on=clock() + dt.timedelta(days=30))
    lead_household = make_poor_household(p.worker, payroll.village.code)
    w.lead = discovery_services.open_lead(p.worker, discovery_services.LeadInput(
        source="walk_in", cause="income_drop", household_id=lead_household.pk, description="失业")).lead
    w.provider = providers.register_provider(
        actor=p.officer, county_code=COUNTY, name="正定县阳光社会工作服务中心", uscc=valid_uscc(), registration_authority="正定县民政局",
        contact_person="王敏", phone="0311-88881234", address="正定镇常山路1号")
    w.worker, w.worker_actor = provider_worker(p.officer, make_actor, w.provider, "社工甲")
    w.other_worker, w.other_worker_actor = provider_worker(p.officer, make_actor, w.provider, "社工乙")
    w.contract = contracts.draw_up_contract(
        actor=p.officer, provider_id=w.provider.pk, reference="ZD-GM-2025-01", area_code=COUNTY,
        scopes=["survey", "discovery"], starts_on=clock() - dt.timedelta(days=30), ends_on=D(2026, 6, 30),
        pricing="per_task", unit_price="80.00")
    contracts.sign_contract(actor=p.officer, contract_id=w.contract.pk)
    w.contract.refresh_from_db()
    return w


def give(w, items, *, worker=None, kind="survey", actor=None, contract=None):
    """Assign `items` ([WorkRef]) under the world's contract; the results."""
    from safetynet.services import tasks

    return tasks.assign_to_provider(actor=actor or w.posts.officer, contract_id=(contract or w.contract).pk,
                                    worker_id=(worker or w.worker).pk, kind=kind, items=items)


__all__ = ["world", "give", "valid_uscc", "provider_worker", "TOWN", "OTHER_TOWN", "COUNTY"]
