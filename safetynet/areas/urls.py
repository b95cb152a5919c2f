from django.urls import path

from . import views

app_name = "areas"
urlpatterns = [
    path("", views.tree, name="tree"),
    path("children/", views.children, name="children"),
    path("options/", views.area_options, name="options"),
    path("<str:code>/add/", views.add_child, name="add_child"),
    path("<str:code>/rename/", views.rename, name="rename"),
    path("import/", views.import_divisions, name="import"),
    path("import/jobs/<str:job_id>/", views.import_job, name="import_job"),
    path("import/jobs/<str:job_id>/progress/", views.import_job_progress, name="import_job_progress"),
    path("import/<str:report_id>/", views.import_report, name="import_report"),
    path("import/<str:report_id>/errors.xlsx", views.import_error_sheet, name="import_error_sheet"),
]
