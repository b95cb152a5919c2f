"""Routes of medical assistance's administration (`/medical/`, namespace `medical`): the county's
categories and their terms, certifications, designated institutions and their keys."""
from django.urls import path

from . import admin_views as views

urlpatterns = [
    path("categories/", views.categories, name="categories"),
    path("categories/<slug:code>/", views.category, name="category"),
    path("certifications/", views.certification_list, name="certifications"),
    path("institutions/", views.institution_list, name="institutions"),
    path("institutions/<int:institution_id>/", views.institution_detail, name="institution"),
]
