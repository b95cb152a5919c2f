"""The demo county's village boards (issue 18 part 1): each town's worker posts the business
month's rosters and changes for every village of the town, through the service a real town
office uses (`roster_services.post_monthly_boards`). Called by the demo's activity after its
months of office work (with the business date it set); deterministic: the lists are what the
enrollments are, in enrollment order."""
from __future__ import annotations

import datetime as dt

from safetynet.areas.actors import actor_for_post
from safetynet.areas.models import Area, Level, Post
from safetynet.areas.roles import Role
from safetynet.cases import clocks

from .roster_services import post_monthly_boards


def build_boards_month(*, month: dt.date | None = None, county_code: str = "130123") -> dict:
    """Post `month`'s boards (the business month by default) in every town of the county, each
    by the town's own worker (a town without one is left to its office: nothing is posted there)."""
    month = (month or clocks.today()).replace(day=1)
    workers = {}
    for post in (Post.objects.filter(role=Role.TOWN_WORKER, area__code__startswith=county_code, area__level=Level.TOWN)
                 .select_related("user", "area").order_by("area_id", "id")):
        workers.setdefault(post.area_id, post)
    counts = {"towns": 0, "postings": 0, "rows": 0, "already": 0, "towns_without_worker": 0}
    for town in Area.objects.filter(level=Level.TOWN, code__startswith=county_code, is_active=True).order_by("code"):
        post = workers.get(town.code)
        if post is None:
            counts["towns_without_worker"] += 1
            continue
        result = post_monthly_boards(actor=actor_for_post(post), month=month, area_code=town.code)
        counts["towns"] += 1
        counts["postings"] += len(result.posted)
        counts["rows"] += result.rows
        counts["already"] += result.already
    return counts
