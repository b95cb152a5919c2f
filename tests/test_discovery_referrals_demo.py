"""The demo's month of referrals (issue 17 part 3): built through the services on a small demo
county, it holds the catalogue, walk-ins and calls routed three ways, answers and overdue ones."""
from __future__ import annotations

import datetime as dt
import random
import time

import pytest

from safetynet.areas.actors import system_actor
from safetynet.cases import clocks as case_clocks
from safetynet.core import workdays
from safetynet.demo.generator import generate_demo_county
from safetynet.demo.referrals_month import build_referrals_month
from safetynet.discovery.models import Lead, Referral, ReferralAgency

pytestmark = pytest.mark.django_db


def test_a_month_at_the_window(monkeypatch, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    generate_demo_county(actor=system_actor(), people=1500, seed=7)
    day = {"now": dt.date(2026, 11, 2)}
    monkeypatch.setattr(case_clocks, "today", lambda: day["now"])

    def at(d):
        day["now"] = d
        workdays.clear_cache()

    started = time.monotonic()
    counts = build_referrals_month(county="130123", rnd=random.Random(7), day=dt.date(2026, 11, 2), at=at)
    seconds = time.monotonic() - started
    assert counts["agencies"] == ReferralAgency.objects.count() == 10
    assert counts["routed_refer"] and counts["routed_close"] and counts["routed_apply"]
    assert counts["referrals"] == Referral.objects.count() > 5
    assert any(k.startswith("answered_") for k in counts) and counts["overdue"] >= 1
    assert Lead.objects.filter(source__in=["walk_in", "phone"]).count() >= counts["window_walk_in"]
    assert not Lead.objects.filter(status__in=["new", "acknowledged", "visited"], source="walk_in").count() > counts.get(
        "refused", 0)
    print(counts, f"{seconds:.1f} s")
