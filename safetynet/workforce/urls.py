"""The workforce pages (`/workforce/`, namespace `workforce`): the staff register, training and
mentoring (issue 19 part 1)."""
from django.urls import path

from . import training_views, views

app_name = "workforce"
urlpatterns = [
    path("staff/", views.staff_list, name="staff_list"),
    path("staff/new/", views.staff_new, name="staff_new"),
    path("staff/<int:staff_id>/", views.staff_detail, name="staff"),
    path("staff/<int:staff_id>/edit/", views.staff_edit, name="staff_edit"),
    path("staff/<int:staff_id>/qualifications/", views.qualification_new, name="qualification_new"),
    path("staff/<int:staff_id>/end/", views.staff_end, name="staff_end"),
    path("training/courses/", training_views.course_list, name="courses"),
    path("training/courses/new/", training_views.course_new, name="course_new"),
    path("training/courses/<int:course_id>/", training_views.course_detail, name="course"),
    path("training/courses/<int:course_id>/sessions/", training_views.session_new, name="session_new"),
    path("training/sessions/<int:session_id>/", training_views.session_detail, name="session"),
    path("training/sessions/<int:session_id>/attendance/", training_views.session_attend, name="session_attend"),
    path("training/behind/", training_views.training_behind, name="behind"),
    path("mentoring/", training_views.mentoring_list, name="mentoring"),
    path("mentoring/new/", training_views.mentoring_new, name="mentoring_new"),
    path("mentoring/<int:pair_id>/end/", training_views.mentoring_end, name="mentoring_end"),
]
