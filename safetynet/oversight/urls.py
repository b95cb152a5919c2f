"""The staff pages of transparency and supervision (`/oversight/`, namespace `oversight`). Each
part keeps its own routes in its own module; this joins them."""
from . import anomaly_urls, audit_urls, complaint_urls, inspection_urls, relative_urls, roster_urls, spotcheck_urls

app_name = "oversight"
urlpatterns = [
    *complaint_urls.urlpatterns,
    *roster_urls.urlpatterns,
    *relative_urls.urlpatterns,
    *inspection_urls.urlpatterns,
    *audit_urls.urlpatterns,
    *spotcheck_urls.urlpatterns,
    *anomaly_urls.urlpatterns,
]
