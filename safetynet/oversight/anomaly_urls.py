"""Routes of oversight's anomaly pages (filled by that part)."""
urlpatterns: list = []
