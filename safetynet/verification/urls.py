"""Verification pages (issue 4): department data and logins, reports, runs with their progress, identity proposals."""
from django.urls import path

from . import department_views, snapshot_views, views

app_name = "verification"

urlpatterns = [
    path("reports/<int:result_id>/", views.report_page, name="report"),
    path("reports/<int:result_id>/pdf/", views.report_pdf, name="report_pdf"),
    path("reports/<int:result_id>/sign-off/", views.sign_off, name="sign_off"),
    path("households/<int:household_id>/", views.household_page, name="household"),
    path("request/", views.request_verification, name="request"),
    path("runs/", views.run_list, name="runs"),
    path("runs/<int:run_id>/", views.run_page, name="run"),
    path("runs/<int:run_id>/progress/", views.run_progress, name="run_progress"),
    path("identity/", views.proposal_list, name="proposals"),
    path("identity/<int:proposal_id>/confirm/", views.confirm_proposal, name="confirm_proposal"),
    path("identity/<int:proposal_id>/reject/", views.reject_proposal, name="reject_proposal"),
    path("data/", snapshot_views.data_page, name="data"),
    path("data/errors/<str:report_id>/", snapshot_views.error_sheet, name="data_errors"),
    path("departments/", department_views.department_list, name="departments"),
    path("departments/register/", department_views.register, name="department_register"),
    path("departments/<int:account_id>/deactivate/", department_views.deactivate, name="department_deactivate"),
    path("departments/<int:account_id>/tokens/", department_views.issue_token, name="department_token"),
    path("departments/<int:account_id>/tokens/<int:token_id>/revoke/", department_views.revoke_token,
         name="department_revoke_token"),
]
