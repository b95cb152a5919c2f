"""The demo's complaints (issue 18 part 2): built through the services on a small demo county,
they stand in every state, one climbed to the county, one sensitive at the county, one anonymous
with a token and one review."""
from __future__ import annotations

import datetime as dt

import pytest

from safetynet.areas.actors import actor_for_post, system_actor
from safetynet.areas.models import Post
from safetynet.cases import clocks as case_clocks
from safetynet.core import workdays
from safetynet.demo.generator import generate_demo_county
from safetynet.oversight import complaints as svc
from safetynet.oversight.complaint_demo import build_complaints_month
from safetynet.oversight.models import Complaint

pytestmark = pytest.mark.django_db


def by_username(username: str):
    return actor_for_post(Post.objects.filter(user__username=username, is_active=True).order_by("id").first())


def test_the_demo_leaves_complaints_in_every_state(monkeypatch, settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path
    generate_demo_county(actor=system_actor(), people=600, seed=7)
    day = dt.date(2026, 11, 16)
    monkeypatch.setattr(case_clocks, "today", lambda: day)
    workdays.clear_cache()
    counts = build_complaints_month(by_username, day)
    statuses = set(Complaint.objects.values_list("status", flat=True))
    assert statuses == {"received", "assigned", "investigating", "decided", "replied", "closed"}
    assert counts["escalated"] >= 1 and len(counts["late_office"]) == 6
    assert Complaint.objects.get(pk=counts["sensitive"]).handling_area_id == "130123"
    assert Complaint.objects.get(pk=counts["appeal"]).appeal_of_id is not None
    assert svc.complaint_by_token(counts["anonymous_token"]).reference == counts["anonymous_reference"]
    # The town worker does not see the county's bribery report; the supervisor sees who filed it.
    worker = by_username("town_worker")
    assert not svc.complaints_in_scope(worker).filter(pk=counts["sensitive"]).exists()
    assert svc.may_see_reporter(by_username("supervisor"))
