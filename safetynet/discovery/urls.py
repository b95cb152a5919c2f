"""The pages of active discovery (`/discovery/`, namespace `discovery`). Each part keeps its own
routes in its own module; this joins them."""
from . import warning_urls

app_name = "discovery"
urlpatterns = [
    *warning_urls.urlpatterns,
]
