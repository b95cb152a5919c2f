"""Routes of oversight's roster pages (filled by that part)."""
urlpatterns: list = []
