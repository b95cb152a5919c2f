"""Changes and exits pages, mounted at /payments/changes/ (namespace "changes")."""
from django.urls import path

from . import change_views

app_name = "changes"
urlpatterns = [
    path("", change_views.queue, name="queue"),
    path("report/", change_views.report_list, name="report_list"),
    path("enrollments/<int:enrollment_id>/", change_views.enrollment, name="enrollment"),
    path("enrollments/<int:enrollment_id>/report/", change_views.report_new, name="report_new"),
    path("rechecks/<int:recheck_id>/", change_views.recheck, name="recheck"),
]
