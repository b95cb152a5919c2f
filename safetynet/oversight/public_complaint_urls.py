"""The public complaint pages, mounted at /complaints/ (no login, namespace `complaints_public`)."""
from django.urls import path

from . import public_complaint_views as views

app_name = "complaints_public"
urlpatterns = [
    path("new/", views.new_complaint, name="new"),
    path("follow/", views.follow_complaint, name="follow"),
    path("follow/appeal/", views.appeal, name="appeal"),
]
