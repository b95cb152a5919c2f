"""The funding pages (`/funding/`, namespace `funding`): the month's work subsidies, a person's
statement, the budget lines and the spending against them."""
from django.urls import path

from . import budget_views, views

app_name = "funding"
urlpatterns = [
    path("", views.month_page, name="subsidies"),
    path("runs/<int:run_id>/approve/", views.run_approve, name="approve"),
    path("runs/<int:run_id>/export/", views.run_export, name="export"),
    path("runs/<int:run_id>/returns/", views.run_returns, name="returns"),
    path("runs/<int:run_id>/files/<str:name>", views.run_file, name="file"),
    path("statements/<int:statement_id>/", views.statement, name="statement"),
    path("budgets/", budget_views.budget_lines, name="budgets"),
    path("budgets/<int:line_id>/remove/", budget_views.line_remove, name="budget_remove"),
    path("spending/", budget_views.spending, name="spending"),
    path("spending/purchased-services/", budget_views.charge_purchases, name="charge_purchases"),
    path("spending/data.json", budget_views.spending_data, name="spending_data"),
]
