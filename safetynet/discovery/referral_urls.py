"""Routes of referrals, the one door and the assistance chain (issue 17 part 3)."""
from django.urls import path

from . import referral_views as views

urlpatterns = [
    path("agencies/", views.agency_list, name="agency_list"),
    path("agencies/new/", views.agency_edit, name="agency_new"),
    path("agencies/<int:agency_id>/edit/", views.agency_edit, name="agency_edit"),
    path("agencies/<int:agency_id>/retire/", views.agency_retire, name="agency_retire"),
    path("referrals/", views.referral_list, name="referral_list"),
    path("referrals/<int:referral_id>/", views.referral_detail, name="referral"),
    path("leads/<int:lead_id>/refer/", views.refer_lead, name="refer_lead"),
    path("window/", views.window, name="window"),
    path("households/<int:household_id>/chain/", views.household_chain, name="household_chain"),
]
