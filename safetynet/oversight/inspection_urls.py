"""Routes of oversight's inspection pages (filled by that part)."""
urlpatterns: list = []
