"""Service projects at a glance, for the county overview (issue 19): what a post's scope holds
of a county's projects in a year, counted. Read by the overview another part builds; the API's
`/projects/overview` answers the same.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Count, Sum
from django.utils.translation import gettext as _

from safetynet.core.errors import NotFound, ValidationError
from safetynet.core.scoping import Actor, in_scope

from .project_models import ProjectFunding, ProjectStatus, ServiceProject
from .projects import VIEW, served_counts

APPROVED_STATUSES = (ProjectStatus.APPROVED, ProjectStatus.FUNDED, ProjectStatus.IN_PROGRESS, ProjectStatus.COMPLETED)


def projects_at_a_glance(actor: Actor, county_code: str, year: int) -> dict:
    """The county's projects received in `year` as the post sees them (a town post: its town's):
    {"county", "year", "by_status": {status: n, every status present}, "projects", "approved_budget"
    (the budgets of those approved, funded, running or completed), "funded" (the tranches paid in
    the year to any project in scope), "households_served", "people_served" (of the year's
    projects, a household counted once per project)}."""
    actor.require(VIEW)
    county_code = (county_code or "").strip()
    if not (len(county_code) == 6 and county_code.isdigit()):
        raise ValidationError(_("A county is named by its 6-digit code."), field="county")
    if not (actor.covers(county_code) or actor.area_code.startswith(county_code)):
        raise NotFound(_("No such area in your scope: %(code)s.") % {"code": county_code}, field="county")
    scoped = in_scope(ServiceProject.objects.filter(county_id=county_code), actor, "area")
    of_year = scoped.filter(received_on__year=year)
    by_status = {s: 0 for s in ProjectStatus.values}
    for row in of_year.order_by().values("status").annotate(n=Count("id")):
        by_status[row["status"]] = row["n"]
    approved = of_year.filter(status__in=APPROVED_STATUSES).aggregate(total=Sum("budget"))["total"] or Decimal("0.00")
    funded = (ProjectFunding.objects.filter(project__in=scoped, paid_on__gte=dt.date(year, 1, 1),
                                            paid_on__lte=dt.date(year, 12, 31)).aggregate(total=Sum("amount"))["total"]
              or Decimal("0.00"))
    served = served_counts(list(of_year.values_list("id", flat=True)))
    return {"county": county_code, "year": year, "projects": sum(by_status.values()), "by_status": by_status,
            "approved_budget": approved, "funded": funded,
            "households_served": sum(h for h, _p in served.values()), "people_served": sum(p for _h, p in served.values())}
