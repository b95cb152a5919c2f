"""Verification pages (being written: issue 4 parts 4-6)."""
from django.http import Http404


def _not_yet(request, *args, **kwargs):
    raise Http404("Not yet.")


report_page = report_pdf = sign_off = household_page = request_verification = run_page = run_progress = _not_yet
proposal_list = confirm_proposal = reject_proposal = _not_yet
