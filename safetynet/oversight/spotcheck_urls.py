"""Routes of oversight's spotcheck pages (filled by that part)."""
urlpatterns: list = []
