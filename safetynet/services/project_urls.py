"""Staff routes of service projects (issue 19 part 5), mounted at /projects/ (namespace `projects`)."""
from django.urls import path

from . import project_views as views

app_name = "projects"
urlpatterns = [
    path("", views.project_list, name="list"),
    path("new/", views.project_new, name="new"),
    path("evaluations/", views.my_evaluations, name="evaluations"),
    path("<int:project_id>/", views.project_detail, name="detail"),
    path("<int:project_id>/panel/", views.project_panel, name="panel"),
    path("<int:project_id>/evaluate/", views.evaluate, name="evaluate"),
]
