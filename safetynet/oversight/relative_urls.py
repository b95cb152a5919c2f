"""Routes of the close-relative register (issue 18 part 3)."""
from django.urls import path

from . import relative_views as views

urlpatterns = [
    path("relatives/", views.filing_list, name="relative_filings"),
    path("relatives/sweep/", views.sweep, name="relative_sweep"),
    path("relatives/register/", views.register_page, name="relative_register"),
    path("relatives/register/<int:declaration_id>/withdraw/", views.withdraw, name="relative_withdraw"),
    path("relatives/mine/", views.my_relatives, name="my_relatives"),
    path("relatives/comparison/", views.comparison, name="relative_comparison"),
]
