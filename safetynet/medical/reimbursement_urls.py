"""The pages of manual medical reimbursement, under /medical/ (namespace `medical`)."""
from django.urls import path

from . import reimbursement_views

urlpatterns = [
    path("reimbursements/", reimbursement_views.reimbursement_list, name="reimbursements"),
    path("reimbursements/new/", reimbursement_views.reimbursement_new, name="reimbursement_new"),
]
