from django.urls import path

from . import views

app_name = "registry"
urlpatterns = [
    path("", views.household_list, name="household_list"),
    path("households/new/", views.household_create, name="household_create"),
    path("households/<int:household_id>/", views.household_detail, name="household_detail"),
    path("households/<int:household_id>/edit/", views.household_edit, name="household_edit"),
    path("households/<int:household_id>/members/new/", views.member_add, name="member_add"),
    path("households/<int:household_id>/kinship/new/", views.kinship_add, name="kinship_add"),
    path("households/<int:household_id>/income/", views.income_edit, name="income_edit"),
    path("households/<int:household_id>/assets/", views.assets_edit, name="assets_edit"),
    path("persons/<int:person_id>/edit/", views.member_edit, name="member_edit"),
    path("persons/<int:person_id>/remove/", views.member_remove, name="member_remove"),
    path("persons/<int:person_id>/id-number/", views.reveal_id_number, name="reveal_id_number"),
    path("persons/<int:person_id>/kinship/<int:relative_id>/remove/", views.kinship_remove, name="kinship_remove"),
    path("import/", views.roster_import, name="import"),
    path("import/jobs/<str:job_id>/", views.import_job, name="import_job"),
    path("import/jobs/<str:job_id>/progress/", views.import_job_progress, name="import_job_progress"),
    path("import/<str:report_id>/", views.import_report, name="import_report"),
    path("import/<str:report_id>/errors.xlsx", views.import_error_sheet, name="import_error_sheet"),
]
