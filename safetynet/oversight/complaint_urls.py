"""Routes of the complaint pages for staff (`/oversight/complaints/`), joined into `urls.py`."""
from django.urls import path

from . import complaint_views as views

urlpatterns = [
    path("complaints/", views.complaint_list, name="complaints"),
    path("complaints/new/", views.complaint_intake, name="complaint_intake"),
    path("complaints/categories/", views.complaint_categories, name="complaint_categories"),
    path("complaints/<int:complaint_id>/", views.complaint_detail, name="complaint"),
    path("complaints/<int:complaint_id>/act/<str:action>/", views.complaint_act, name="complaint_act"),
    path("complaints/<int:complaint_id>/files/<int:attachment_id>/", views.complaint_file, name="complaint_file"),
]
