"""The demo county's month of leads (issue 17): reports, leads, the town's work on them and the
daily escalation, all through the discovery services."""
from __future__ import annotations

import datetime as dt
import random

import pytest

from safetynet.areas.actors import system_actor
from safetynet.cases import clocks
from safetynet.core import workdays
from safetynet.demo.generator import generate_demo_county
from safetynet.demo.leads_month import build_leads_month
from safetynet.discovery import selectors
from safetynet.discovery.models import GridReport, Lead, LeadEvent, LeadStatus

pytestmark = pytest.mark.django_db


def test_a_month_of_leads_in_the_demo_county(monkeypatch, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    generate_demo_county(actor=system_actor(), people=2500, seed=7)
    today = dt.date(2026, 12, 4)
    day = [today]
    monkeypatch.setattr(clocks, "today", lambda: day[0])
    workdays.clear_cache()

    def at(d):
        day[0] = d

    counts = build_leads_month(county="130123", rnd=random.Random(7), day=today, at=at)
    assert day[0] == today
    leads = Lead.objects.all()
    assert 30 <= counts["leads"] == leads.count() <= 150
    assert counts["reports"] == GridReport.objects.count() and counts["reports_joined"] >= 1
    assert counts["photos"] >= 1 and GridReport.objects.exclude(photo="").count() == counts["photos"]
    assert counts["acknowledged"] and counts["visited"] and counts["closed"]
    assert leads.filter(status=LeadStatus.APPLIED, case__isnull=False).count() == counts.get("applied", 0) >= 1
    assert counts.get("escalated_to_town_leader", 0) >= 1
    assert leads.filter(household__isnull=True).exists()                   # some people not registered
    assert len({lead.area_id[:9] for lead in leads}) >= 8                  # across the county's towns
    assert LeadEvent.objects.filter(kind="escalated").count() == counts["escalated_to_town_leader"] + counts.get(
        "escalated_to_county", 0)
    # The dashboard reads the month: acknowledgement times in hours, not seconds of a script.
    figures = selectors.dashboard(system_actor(), today=today, days=30)
    assert figures.all_towns.acknowledge_median_hours and figures.all_towns.acknowledge_median_hours > 1
    print(counts, figures.all_towns)
