"""The demo's finished spot-check campaign (issue 18 part 4): on a small demo county after its
months of office work, built through the services, every item re-visited with a verdict, a few
wrong each with its control complaint, the draw re-drawn from the record."""
from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from safetynet.areas.actors import actor_for_post
from safetynet.areas.models import Post
from safetynet.cases import clocks
from safetynet.oversight import spotchecks
from safetynet.oversight.models import Complaint
from safetynet.oversight.spotcheck_demo import build_finished_campaign

pytestmark = pytest.mark.django_db


def test_the_demo_leaves_a_finished_campaign(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    call_command("demo", "--people", "600", "--seed", "7", stdout=StringIO())
    officer = actor_for_post(Post.objects.filter(user__username="county_officer").order_by("id").first())
    today = clocks.today()
    campaign = build_finished_campaign(officer, today)
    assert campaign.status == "finished" and campaign.finished_on
    items = list(campaign.items.all())
    assert items and all(i.verdict and i.visited_on and i.visitors for i in items)
    wrong = [i for i in items if i.verdict != "correct"]
    assert all(i.complaint_id for i in wrong)
    assert Complaint.objects.filter(source_key__startswith="spot_check:").count() == len(wrong)
    assert spotchecks.redraw(campaign).matches
    assert build_finished_campaign(officer, today).pk == campaign.pk      # run again: the same campaign
    print(len(items), "items,", len(wrong), "wrong")
