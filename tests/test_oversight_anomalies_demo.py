"""The demo county's anomaly report (issue 18 part 6): built through the services on a small
generated county, it plants what the county lacks (short surveys; no payroll here, so no death
after one), finds it, gives findings their status, and a second report finds nothing new."""
from __future__ import annotations

import datetime as dt

import pytest

from safetynet.areas.actors import system_actor
from safetynet.demo.generator import generate_demo_county
from safetynet.oversight.anomaly_demo import build_anomaly_report
from safetynet.oversight.anomaly_models import AnomalyFinding
from safetynet.oversight.anomaly_run import run_anomalies
from safetynet.oversight.models import Complaint

pytestmark = pytest.mark.django_db


def test_the_demo_report_has_findings_with_statuses(settings, tmp_path, monkeypatch):
    from safetynet.cases import clocks

    settings.DATA_DIR = tmp_path
    generate_demo_county(actor=system_actor(), people=800, seed=5)
    day = dt.date.today()
    monkeypatch.setattr(clocks, "today", lambda: day)
    counts = build_anomaly_report(today=day)
    assert counts["planted_short_surveys"] == 2 and counts["planted_death"] == 0
    assert counts["found_short_surveys"] == 2 and counts["new_findings"] >= 2
    assert counts["rectified"] == 1 and counts["explained"] == 1
    statuses = sorted(AnomalyFinding.objects.values_list("status", flat=True))
    assert "rectified" in statuses and "explained" in statuses
    assert Complaint.objects.filter(source_key__startswith="anomaly:").count() == AnomalyFinding.objects.count()
    from safetynet.areas.actors import actor_for_post
    from safetynet.areas.models import Post

    officer = actor_for_post(Post.objects.get(user__username="county_officer", role="county_officer"))
    again = run_anomalies(officer, "130123", day)
    assert again.counts == {}
