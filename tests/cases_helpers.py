"""Fixtures and helpers for the case tests: the 正定县 standards, a movable business date, the
posts that act on a case, a poor household, and a function that walks a case to a given step.

Import the fixtures with `from tests.cases_helpers import *` (pytest finds fixtures in the
test module's namespace)."""
from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest

from safetynet.cases import clocks
from safetynet.core import workdays
from safetynet.core.idnumbers import make_id_number
from tests.conftest import OTHER_TOWN, TOWN

D = dt.date
_names = itertools.count(1)
_ids = itertools.count(1)


def new_id(birth: dt.date = dt.date(1970, 5, 17), sex: str = "male") -> str:
    """A fresh valid ID number, born within a few months of `birth`. Its own counter and area
    prefix (晋州市 130183), so the case tests neither collide with nor shift the numbers of
    tests/registry_helpers.new_id."""
    n = next(_ids)
    return make_id_number("130183", birth + dt.timedelta(days=n // 90), n % 90, sex)

__all__ = ["D", "Clock", "clock", "login", "standards", "posts", "poor_household", "investigators", "make_poor_household",
           "walk", "new_id", "TOWN", "OTHER_TOWN"]


class Clock:
    """The business date the services see (`clocks.today`), moved by the test."""

    def __init__(self, day: dt.date):
        self.day = day

    def __call__(self) -> dt.date:
        return self.day

    def set(self, day: dt.date) -> None:
        self.day = day

    def advance(self, days: int = 0, *, working: int = 0) -> dt.date:
        self.day += dt.timedelta(days=days)
        if working:
            self.day = workdays.add_working_days(self.day, working)
        return self.day


@pytest.fixture
def clock(monkeypatch, db):
    """Monday 2025-09-22, the week before the 2025 National Day holiday (1–8 October)."""
    workdays.clear_cache()
    c = Clock(D(2025, 9, 22))
    monkeypatch.setattr(clocks, "today", c)
    yield c
    workdays.clear_cache()


@pytest.fixture
def login(client):
    """login(actor) -> the test client logged in as that post's user (English pages)."""
    from django.contrib.auth import get_user_model

    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"   # assertions read the English messages

    def as_(actor):
        client.force_login(get_user_model().objects.get(pk=actor.user_id))
        return client
    return as_


@pytest.fixture
def standards(county, system):
    """The demo standards of 正定县 (urban ¥900, rural ¥720 a month), set through the programs
    service as a county would."""
    from safetynet.programs.demo import seed_demo_standards

    seed_demo_standards(actor=system, county_code=county.code)
    return {"urban": Decimal("900.00"), "rural": Decimal("720.00")}


class Posts:
    pass


@pytest.fixture
def posts(settings, make_actor, county, village, other_village):
    # Argon2 is slow on purpose (0.6 s a login here); these users never log in.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    p = Posts()
    p.cadre = make_actor("village_cadre", village.code)
    p.worker = make_actor("town_worker", TOWN)
    p.leader = make_actor("town_leader", TOWN)
    p.officer = make_actor("county_officer", county.code)
    # Signs the verification reports, so `officer` may confirm (the four-eyes rule, on by default).
    p.verifier = make_actor("county_officer", county.code)
    p.county_leader = make_actor("county_leader", county.code)
    p.inspector = make_actor("inspector", county.code)
    p.grid = make_actor("grid_worker", village.code)
    p.other_worker = make_actor("town_worker", OTHER_TOWN)
    p.other_cadre = make_actor("village_cadre", other_village.code)
    p.other_leader = make_actor("town_leader", OTHER_TOWN)
    return p


def make_poor_household(actor, area_code: str, *, wages: str = "900.00", address: str | None = None):
    """Three members: head (55), spouse (53), a child of 10; declared wages ¥900 a month. The
    `village` fixture (the first of 正定镇) is urban (class 111), so with the urban standard ¥900:
    per-capita 300, gap 600 × 3 = 1,800, plus the minor's increment 30 % × 900 = 270:
    ¥2,070.00 (POLICY.md §1)."""
    from safetynet.registry.services import create_household, set_income_items

    n = next(_names)
    household = create_household(actor=actor, area_code=area_code, address=address or f"测试村{n}号",
                                 registration_type="rural", bank_account=f"6217000010000{n:05d}", members=[
        {"name": f"张{n}山", "id_number": new_id(D(1970, 3, 1)), "relation_to_head": "head"},
        {"name": f"李{n}花", "id_number": new_id(D(1972, 6, 1), sex="female"), "relation_to_head": "spouse"},
        {"name": f"张{n}宝", "id_number": new_id(D(2015, 1, 10)), "relation_to_head": "child"},
    ])
    if wages:
        set_income_items(actor=actor, household_id=household.pk, items=[
            {"category": "wages", "monthly_amount": wages, "person_id": household.head_id, "description": "打零工"}])
    return household


@pytest.fixture
def poor_household(posts, village):
    return make_poor_household(posts.worker, village.code)


def investigators(n: int = 2) -> list[dict]:
    return [{"name": f"调查员{next(_names)}", "id_number": new_id(D(1985, 1, 1))} for _ in range(n)]


STEPS = ("applied", "accepted", "surveyed", "verified", "town_reviewed", "in_notice", "notice_closed", "confirmed")


def walk(posts, household, clock, *, to: str = "confirmed", program: str = "dibao", **apply):
    """Drive a case through the services up to status `to`; returns the case (reloaded)."""
    from safetynet.cases import services
    from safetynet.cases.models import Case

    case = services.apply_for_assistance(actor=posts.worker, program_code=program, household_id=household.pk,
                                         applicant_id=household.head_id, channel="walk_in", **apply)
    target = STEPS.index(to)
    if target >= 1:
        services.accept_application(actor=posts.worker, case_id=case.pk)
    if target >= 2:
        extra = {}
        if program == "special_hardship":
            extra["daily_activities"] = {k: True for k in ("eating", "dressing", "bed_transfer", "toileting",
                                                           "walking_indoors", "bathing")}
        services.record_survey(actor=posts.worker, case_id=case.pk, conducted_on=clock(), investigators=investigators(),
                               findings="家中确实困难", signed_by_household=True, **extra)
        if program == "special_hardship":
            # The worker records the supporters the registry proposes (cases/kin.py), as the page does.
            from safetynet.cases.supporters import proposed_supporters, record_proposed_supporters

            if any(not k.recorded for k in proposed_supporters(posts.worker, case.pk)):
                record_proposed_supporters(actor=posts.worker, case_id=case.pk)
    if target >= 3:
        services.record_manual_verification(actor=posts.verifier, case_id=case.pk, summary="无异常")
    if target >= 4:
        services.give_town_opinion(actor=posts.worker, case_id=case.pk, opinion="符合条件")
    if target >= 5:
        services.publish_notice(actor=posts.worker, case_id=case.pk)
    if target >= 6:
        clock.advance(7)
        services.close_notice(actor=posts.worker, case_id=case.pk)
    if target >= 7:
        services.confirm_case(actor=posts.officer, case_id=case.pk)
    return Case.objects.get(pk=case.pk)
