"""Routes of inspections (issue 18 part 5)."""
from django.urls import path

from . import inspection_views as views

urlpatterns = [
    path("inspections/", views.overview, name="inspection_overview"),
    path("inspections/export/<str:kind>.xlsx", views.export, name="inspection_export"),
    path("inspections/findings/", views.finding_list, name="finding_list"),
    path("inspections/findings/new/", views.finding_new, name="finding_new"),
    path("inspections/findings/<int:finding_id>/", views.finding_detail, name="finding"),
]
