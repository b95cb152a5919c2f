from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from safetynet.areas import selectors as area_selectors
from safetynet.cases import pages as case_pages
from safetynet.discovery import lead_views
from safetynet.enrollments import change_views
from safetynet.funding import views as funding_views
from safetynet.medical import statement_views as medical_statement_views
from safetynet.oversight import complaint_views


@login_required
def home(request):
    """Queue first (UI.md): the user's area, its counts, and what needs them now."""
    actor = request.actor
    if actor is None:
        return render(request, "dashboards/no_post.html", status=403)
    area = area_selectors.actor_area(actor)
    counts, children = None, []
    if actor.can(area_selectors.VIEW):   # the network's counts are for the posts that may read it
        counts, children = area_selectors.area_overview(actor, area.code if area else "")
    queues = (case_pages.home_queues(actor) + change_views.home_queues(actor) + lead_views.home_queues(actor)
              + complaint_views.home_queues(actor) + funding_views.home_queues(actor)
              + medical_statement_views.home_queues(actor))
    return render(request, "dashboards/home.html", {
        "area": area, "counts": counts, "children": children,
        # Filled by the cases, discovery and payments parts as they land.
        "queues": queues,
        "needs_action": sum(q["count"] for q in queues),
    })
