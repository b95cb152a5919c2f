from django.urls import path

from . import views

app_name = "programs"
urlpatterns = [
    path("", views.index, name="index"),
    path("<str:code>/", views.standards, name="standards"),
    path("<str:code>/<str:key>/history/", views.history, name="history"),
]
