from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

# The home page ("" → dashboards) and /switch-post/ (areas: posts are theirs) are routed in
# safetynet/urls.py: core imports nothing of the project.
urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("calendar/", views.calendar, name="calendar"),
]
