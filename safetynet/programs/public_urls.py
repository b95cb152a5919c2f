"""The public self-check page, mounted at /check/ (no login)."""
from django.urls import path

from . import public_views

app_name = "selfcheck"
urlpatterns = [
    path("", public_views.self_check, name="check"),
    path("areas/", public_views.area_options, name="areas"),
]
