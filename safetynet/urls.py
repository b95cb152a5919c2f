from django.urls import include, path

from safetynet.api import api
from safetynet.areas import views as area_views
from safetynet.core import views as core_views
from safetynet.dashboards import overview as dashboard_overview
from safetynet.dashboards import views as dashboard_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", dashboard_views.home, name="home"),
    path("overview/", dashboard_overview.county_overview, name="county_overview"),
    path("switch-post/", area_views.switch_post, name="switch_post"),
    path("", include("safetynet.core.urls")),
    path("areas/", include("safetynet.areas.urls")),
    path("registry/", include("safetynet.registry.urls")),
    path("programs/", include("safetynet.programs.urls")),
    path("check/", include("safetynet.programs.public_urls")),
    path("cases/", include("safetynet.cases.urls")),
    path("notices/", include("safetynet.oversight.public_board_urls")),
    path("verification/", include("safetynet.verification.urls")),
    path("payments/changes/", include("safetynet.enrollments.change_urls")),
    path("payments/", include("safetynet.payroll.urls")),
    path("discovery/", include("safetynet.discovery.urls")),
    path("oversight/", include("safetynet.oversight.urls")),
    path("workforce/", include("safetynet.workforce.urls")),
    path("services/", include("safetynet.services.urls")),
    path("workload/", include("safetynet.workload.urls")),
    path("complaints/", include("safetynet.oversight.public_complaint_urls")),
    path("projects/", include("safetynet.services.public_project_urls")),
    path("projects/", include("safetynet.services.project_urls")),
    path("funding/", include("safetynet.funding.urls")),
    path("medical/", include("safetynet.medical.urls")),
]
# No route serves MEDIA_ROOT, with DEBUG on or off: every stored file is private and leaves only
# through a view that checks the post (core/privatefiles.py); core/checks.py refuses such a route.
