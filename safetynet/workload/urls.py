"""Routes of workload and assignment (issue 19 part 2), namespace `workload`."""
from django.urls import path

from . import views

app_name = "workload"
urlpatterns = [
    path("", views.county_overview, name="overview"),
    path("mine/", views.my_work, name="mine"),
    path("towns/<str:code>/", views.town_page, name="town"),
    path("towns/<str:code>/assign-new/", views.assign_new, name="assign_new"),
    path("towns/<str:code>/assign/", views.assign_item, name="assign"),
    path("towns/<str:code>/reassign/", views.reassign_item, name="reassign"),
]
