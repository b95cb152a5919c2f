"""The API of purchased services (`/api/v1/services/`): each part's router, joined (service
projects add theirs here)."""
from ninja import Router

from .contract_api import router as contract_router
from .task_api import router as task_router

router = Router(tags=["services"])
for part in (contract_router, task_router):
    router.add_router("", part)
