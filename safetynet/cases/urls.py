"""Case pages, mounted at /cases/."""
from django.urls import path

from . import roll_views, views

app_name = "cases"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("all/", views.case_list, name="list"),
    path("overdue/", views.overdue, name="overdue"),
    path("new/", views.case_new, name="new"),
    path("batch/", views.batch_step, name="batch"),
    path("<int:case_id>/", views.case_detail, name="detail"),
    path("<int:case_id>/act/<str:action>/", views.case_act, name="act"),
    path("<int:case_id>/documents/", views.document_upload, name="document_upload"),
    path("<int:case_id>/documents/<int:attachment_id>/", views.document_download, name="document"),
    path("<int:case_id>/letter.pdf", views.letter_pdf, name="letter"),
    path("<int:case_id>/supporters/", views.supporter_add, name="supporter_add"),
    path("<int:case_id>/supporters/<int:supporter_id>/remove/", views.supporter_remove, name="supporter_remove"),
    path("<int:case_id>/supporters/proposed/", views.supporters_record_proposed, name="supporters_record_proposed"),
    path("<int:case_id>/supporters/<int:supporter_id>/reason/", views.supporter_reason, name="supporter_reason"),
    path("<int:case_id>/deliberations/<int:deliberation_id>/roll/", roll_views.roll, name="deliberation_roll"),
]
