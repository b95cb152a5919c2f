"""The staff pages of medical assistance (`/medical/`, namespace `medical`): each part keeps its
own routes."""
from . import admin_urls, ledger_urls, reimbursement_urls, statement_urls

app_name = "medical"
urlpatterns = [*admin_urls.urlpatterns, *ledger_urls.urlpatterns, *statement_urls.urlpatterns,
               *reimbursement_urls.urlpatterns]
