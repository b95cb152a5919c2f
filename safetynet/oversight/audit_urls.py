"""Routes of oversight's audit pages (filled by that part)."""
urlpatterns: list = []
