"""Routes of the grid report page (issue 17 part 1)."""
from django.urls import path

from . import report_views

urlpatterns = [
    path("report/", report_views.report_page, name="report"),
    path("report/sw.js", report_views.report_worker, name="report_worker"),
    path("report/manifest.webmanifest", report_views.report_manifest, name="report_manifest"),
]
