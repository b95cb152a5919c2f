"""Routes of the village boards' staff pages (the public ones are `public_board_urls.py`)."""
from django.urls import path

from . import roster_views

urlpatterns = [
    path("boards/", roster_views.board_list, name="boards"),
    path("boards/post/", roster_views.board_post, name="boards_post"),
]
