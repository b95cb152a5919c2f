"""Routes of oversight's complaint pages (filled by that part)."""
urlpatterns: list = []
