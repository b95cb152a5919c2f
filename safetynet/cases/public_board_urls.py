"""The public notice board, mounted at /notices/ (no login), in the "publicity" namespace it has
always had (public_board.py says why its pages are in cases)."""
from django.urls import path

from . import public_board as views

app_name = "publicity"
urlpatterns = [
    path("<str:village_code>/", views.board, name="board"),
    path("<str:village_code>/print/", views.board_print, name="board_print"),
    path("<str:village_code>/notice.pdf", views.board_pdf, name="board_pdf"),
    path("<str:village_code>/<int:notice_id>/objection/", views.object_to_notice, name="objection"),
]
