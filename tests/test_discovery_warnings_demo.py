"""The warnings' month in the demo county (issue 17 part 4): built through the services, it raises
warnings that become leads, ends some of them, and a second run raises nothing new."""
from __future__ import annotations

import datetime as dt
import random

import pytest

from safetynet.areas.actors import system_actor
from safetynet.demo.generator import generate_demo_county
from safetynet.demo.warnings_month import warnings_month
from safetynet.discovery import warning_rules
from safetynet.discovery.warning_models import Warning, WarningRule

pytestmark = pytest.mark.django_db


def test_a_month_of_warnings_in_the_demo_county(settings, tmp_path, monkeypatch):
    from safetynet.cases import clocks

    settings.DATA_DIR = tmp_path
    generate_demo_county(actor=system_actor(), people=800, seed=5)
    day = dt.date.today()
    moved = {"day": day}
    monkeypatch.setattr(clocks, "today", lambda: moved["day"])

    def at(d):
        moved["day"] = d

    counts = warnings_month(
        county="130123", rnd=random.Random(3), day=day, at=at)
    assert counts["warnings_raised"] >= 5 and counts["leads_opened"] >= 1
    assert counts.get("ended_helped", 0) + counts.get("ended_not_in_need", 0) + counts.get("ended_not_found", 0) >= 1
    assert counts["flagged_at_risk"] == 2
    assert WarningRule.objects.filter(area_id="130123").count() == 2
    stats = warning_rules.rule_stats(WarningRule.objects.all())
    assert sum(s.ended for s in stats.values()) >= 1
    assert Warning.objects.filter(lead__isnull=True).count() == 0
