"""Views: thin adapters over services and selectors."""
