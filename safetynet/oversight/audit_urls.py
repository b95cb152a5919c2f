"""Routes of the audit viewer (issue 18 part 7)."""
from django.urls import path

from . import audit_views as views

urlpatterns = [
    path("audit/", views.ledger, name="audit"),
]
