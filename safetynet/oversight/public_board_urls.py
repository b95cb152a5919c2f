"""The public board, mounted at /notices/ (no login), in the "publicity" namespace it has always
had (public_board.py says why its pages are in oversight)."""
from django.urls import path

from . import public_board as views

app_name = "publicity"
urlpatterns = [
    path("", views.index, name="index"),
    path("<str:village_code>/", views.board, name="board"),
    path("<str:village_code>/print/", views.board_print, name="board_print"),
    path("<str:village_code>/notice.pdf", views.board_pdf, name="board_pdf"),
    path("<str:village_code>/board.pdf", views.village_board_pdf, name="village_pdf"),
    path("<str:village_code>/<int:notice_id>/objection/", views.object_to_notice, name="objection"),
    path("<str:village_code>/roster/<int:row_id>/objection/", views.object_to_roster, name="roster_objection"),
]
