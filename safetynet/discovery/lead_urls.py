"""The lead pages' routes (issue 17 part 5), joined into `discovery/urls.py`."""
from django.urls import path

from . import lead_views

urlpatterns = [
    path("mine/", lead_views.my_list, name="mine"),
    path("leads/", lead_views.lead_list, name="leads"),
    path("leads/<int:lead_id>/", lead_views.lead_detail, name="lead"),
    path("leads/<int:lead_id>/act/<str:action>/", lead_views.lead_act, name="lead_act"),
    path("leads/<int:lead_id>/reports/<int:report_id>/photo/", lead_views.lead_photo, name="lead_photo"),
    path("dashboard/", lead_views.dashboard, name="dashboard"),
]
