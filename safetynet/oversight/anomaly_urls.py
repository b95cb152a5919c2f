"""Routes of the anomaly reports (`/oversight/anomalies/...`)."""
from django.urls import path

from . import anomaly_views as views

urlpatterns = [
    path("anomalies/", views.run_list, name="anomaly_runs"),
    path("anomalies/runs/start", views.run_start, name="anomaly_run_start"),
    path("anomalies/runs/<int:run_id>/", views.run_page, name="anomaly_run"),
    path("anomalies/runs/<int:run_id>/progress", views.run_progress, name="anomaly_run_progress"),
    path("anomalies/runs/<int:run_id>/chart.json", views.run_chart, name="anomaly_run_chart"),
    path("anomalies/findings/", views.finding_list, name="anomaly_findings"),
    path("anomalies/findings/<int:finding_id>/", views.finding_page, name="anomaly_finding"),
]
