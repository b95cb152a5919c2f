"""The pages of active discovery (`/discovery/`, namespace `discovery`). Each part keeps its own
routes in its own module; this joins them."""
from . import lead_urls, referral_urls, report_urls, warning_urls

app_name = "discovery"
urlpatterns = [
    *report_urls.urlpatterns,
    *lead_urls.urlpatterns,
    *referral_urls.urlpatterns,
    *warning_urls.urlpatterns,
]
