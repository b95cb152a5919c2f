"""The demo's close-relative register and inspections (issue 18 parts 3 and 5), built through the
services on a small generated county with its staff register and an application from a staff
member's relative: declarations, one registry relative left undeclared, the sweep, two findings."""
from __future__ import annotations

import datetime as dt
import random

import pytest
from django.contrib.auth import get_user_model

from safetynet.areas.actors import actor_for_post, system_actor
from safetynet.areas.models import Post
from safetynet.cases import clocks
from safetynet.cases import services as case_services
from safetynet.core import workdays
from safetynet.demo.generator import generate_demo_county
from safetynet.demo.models import DemoNote
from safetynet.oversight import relatives
from safetynet.oversight.models import CloseRelativeFiling, FindingStatus, InspectionFinding
from safetynet.oversight.supervision_demo import build_supervision_demo
from safetynet.programs.demo import seed_demo_standards
from safetynet.registry.models import Household
from safetynet.workforce.models import DeclaredRelative
from safetynet.workforce.services import register_staff_identity

pytestmark = pytest.mark.django_db
COUNTY = "130123"


def _staff_register(system):
    """What the office-work demo registers for the demo logins who live in the county."""
    residents = DemoNote.objects.get(key="staff").value
    for username, resident in sorted(residents.items()):
        user = get_user_model().objects.get(username=username)
        post = Post.objects.filter(user=user).order_by("id").first()
        kind = {"county_officer": "county_staff", "village_cadre": "village_committee", "grid_worker": "grid_worker"}.get(
            username, "town_staff")
        area = post.area_id if kind != "town_staff" else post.area_id[:9]
        register_staff_identity(actor=system, name=user.last_name + user.first_name, id_number=resident["id_number"],
                                area_code=area, kind=kind, user_id=user.pk)
    return residents


def test_the_supervision_demo(settings, tmp_path, monkeypatch):
    settings.DATA_DIR = tmp_path
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    system = system_actor()
    generate_demo_county(actor=system, people=800, seed=5)
    day = dt.date(2026, 11, 16)
    monkeypatch.setattr(clocks, "today", lambda: day)
    workdays.clear_cache()
    seed_demo_standards(actor=system, county_code=COUNTY)
    residents = _staff_register(system)
    # An old application from the town worker's relative, made before anything was declared.
    relative = Household.objects.get(pk=residents["town_worker"]["relative_household_id"])
    worker = actor_for_post(Post.objects.get(user__username="town_worker", role="town_worker"))
    case_services.apply_for_assistance(actor=worker, program_code="dibao", household_id=relative.pk,
                                       applicant_id=relative.head_id, channel="walk_in")

    counts = build_supervision_demo(county=COUNTY, rnd=random.Random(5), day=day)
    assert dict(Post.objects.filter(user__username__in=["inspector", "supervisor", "deputy"]).values_list(
        "user__username", "title")) == {"inspector": "县财政局", "supervisor": "县纪委监委", "deputy": "人大代表"}
    assert counts["declared"] == DeclaredRelative.objects.count() >= 4
    assert counts["filings"] >= 1 and CloseRelativeFiling.objects.filter(at_acceptance=False).exists()
    officer = actor_for_post(Post.objects.get(user__username="county_officer", role="county_officer"))
    towns = relatives.compare_register(officer)
    undeclared = [x for t in towns for s in t.staff for x in s.undeclared]
    assert [x["id_number"] for x in undeclared] == [
        Household.objects.get(pk=residents["county_officer"]["relative_household_id"]).members.get(
            pk=residents["county_officer"]["relative_person_id"]).id_number]
    assert any(s.unlinked for t in towns for s in t.staff)               # the declared spouse
    findings = {f.body: f for f in InspectionFinding.objects.all()}
    assert findings["县财政局"].status == FindingStatus.ANSWERED and findings["县财政局"].case_id
    assert findings["县纪委监委"].status == FindingStatus.OPEN and findings["县纪委监委"].office_id == COUNTY
    again = build_supervision_demo(county=COUNTY, rnd=random.Random(5), day=day)
    assert again.get("declared", 0) == 0 and again["filings"] == 0 and InspectionFinding.objects.count() == 2
    print(counts)
