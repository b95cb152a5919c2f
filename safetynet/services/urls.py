"""The staff pages of purchased services (`/services/`, namespace `services`). Each part keeps its
own views; service projects (project_*.py) add their routes here too."""
from django.urls import path

from . import provider_views, task_views

app_name = "services"
urlpatterns = [
    path("providers/", provider_views.provider_list, name="providers"),
    path("providers/<int:provider_id>/", provider_views.provider_detail, name="provider"),
    path("contracts/", provider_views.contract_list, name="contracts"),
    path("contracts/new/", provider_views.contract_new, name="contract_new"),
    path("contracts/<int:contract_id>/", provider_views.contract_detail, name="contract"),
    path("lend/", task_views.lend, name="lend"),
    path("my-tasks/", task_views.my_tasks, name="my_tasks"),
    path("tasks/queue/", task_views.queue, name="queue"),
]
