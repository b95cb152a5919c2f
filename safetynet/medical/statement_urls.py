"""The institutions' statements pages (`/medical/statements/`, namespace `medical`)."""
from django.urls import path

from . import statement_views as views

urlpatterns = [
    path("statements/", views.statement_list, name="statements"),
    path("statements/<int:statement_id>/", views.statement_detail, name="statement_detail"),
    path("statements/<int:statement_id>/reconcile/", views.statement_reconcile, name="statement_reconcile"),
    path("statements/<int:statement_id>/approve/", views.statement_approve, name="statement_approve"),
    path("statements/runs/<int:run_id>/", views.run_detail, name="statement_run"),
    path("statements/runs/<int:run_id>/export/", views.run_export, name="statement_run_export"),
    path("statements/runs/<int:run_id>/returns/", views.run_returns, name="statement_run_returns"),
    path("statements/runs/<int:run_id>/files/<str:name>", views.run_file, name="statement_run_file"),
]
