"""Routes of the people's ledgers and the settlements of an area (`/medical/`, namespace `medical`)."""
from django.urls import path

from . import admin_views as views

urlpatterns = [
    path("people/", views.people, name="people"),
    path("people/<int:person_id>/", views.person, name="person"),
    path("people/<int:person_id>/<int:year>/", views.person_ledger, name="ledger"),
    path("settlements/", views.settlement_list, name="settlements"),
    path("settlements/export.xlsx", views.settlements_export, name="settlements_export"),
]
