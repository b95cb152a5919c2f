from django.contrib.auth import views as auth_views
from django.urls import path

from safetynet.dashboards import views as dashboard_views

from . import views

urlpatterns = [
    path("", dashboard_views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("switch-post/", views.switch_post, name="switch_post"),
    path("calendar/", views.calendar, name="calendar"),
]
