"""Routes of the warnings and the monitoring register (included by discovery/urls.py)."""
from django.urls import path

from . import warning_views as views

urlpatterns = [
    path("register/", views.register_page, name="register"),
    path("register/flag", views.register_flag, name="register_flag"),
    path("register/<int:entry_id>/end", views.register_end, name="register_end"),
    path("register/refresh", views.register_refresh, name="register_refresh"),
    path("warnings/rules/", views.rule_list, name="warning_rules"),
    path("warnings/rules/<slug:cause>/", views.rule_page, name="warning_rule"),
    path("warnings/runs/", views.run_start, name="warning_run_start"),
    path("warnings/runs/<slug:job_id>/", views.run_page, name="warning_run"),
    path("warnings/runs/<slug:job_id>/progress", views.run_progress, name="warning_run_progress"),
    path("warnings/runs/<slug:job_id>/report", views.run_report, name="warning_run_report"),
]
