"""Routes of oversight's relative pages (filled by that part)."""
urlpatterns: list = []
