"""The public notice board, mounted at /notices/ (no login)."""
from django.urls import path

from . import views

app_name = "publicity"
urlpatterns = [
    path("<str:village_code>/", views.board, name="board"),
    path("<str:village_code>/print/", views.board_print, name="board_print"),
    path("<str:village_code>/notice.pdf", views.board_pdf, name="board_pdf"),
    path("<str:village_code>/<int:notice_id>/objection/", views.object_to_notice, name="objection"),
]
