"""Payroll pages, mounted at /payments/."""
from django.urls import path

from safetynet.enrollments import job_views, restandard_views, simulation_views

from . import views

app_name = "payments"
urlpatterns = [
    path("", views.run_list, name="runs"),
    path("runs/<int:run_id>/", views.run_detail, name="run"),
    path("runs/<int:run_id>/approve/", views.run_approve, name="approve"),
    path("runs/<int:run_id>/export/", views.run_export, name="export"),
    path("runs/<int:run_id>/returns/", views.run_returns, name="returns"),
    path("runs/<int:run_id>/files/<str:name>", views.run_file, name="file"),
    path("enrollments/<int:enrollment_id>/", views.enrollment_detail, name="enrollment"),
    path("jobs/<str:job_id>/", job_views.job_detail, name="job"),
    path("jobs/<str:job_id>/progress/", job_views.job_progress, name="job_progress"),
    path("simulation/", simulation_views.simulation, name="simulation"),
    path("simulation/<str:job_id>/", simulation_views.simulation, name="simulation_job"),
    path("restandard/", restandard_views.reassessment, name="restandard"),
    path("restandard/<str:job_id>/", restandard_views.reassessment, name="restandard_job"),
]
