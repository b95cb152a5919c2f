"""The public service-project pages, mounted at /projects/ (no login, namespace `projects_public`)."""
from django.urls import path

from . import public_project_views as views

app_name = "projects_public"
urlpatterns = [
    path("propose/", views.propose, name="propose"),
    path("follow/", views.follow, name="follow"),
]
