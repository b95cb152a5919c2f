"""Routes of the spot checks (`/oversight/spot-checks/`, issue 18 part 4)."""
from django.urls import path

from . import spotcheck_views as views

urlpatterns = [
    path("spot-checks/", views.campaign_list, name="spotcheck_list"),
    path("spot-checks/new/", views.campaign_new, name="spotcheck_new"),
    path("spot-checks/<int:campaign_id>/", views.campaign_detail, name="spotcheck_detail"),
    path("spot-checks/<int:campaign_id>/sample.<slug:fmt>", views.sample_export, name="spotcheck_export"),
    path("spot-checks/items/<int:item_id>/", views.item_page, name="spotcheck_item"),
]
