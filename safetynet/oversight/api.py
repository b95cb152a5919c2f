"""The API of transparency and supervision (`/api/v1/oversight/`): each part's router, joined."""
from ninja import Router

from .anomaly_api import router as anomaly_router
from .audit_api import router as audit_router
from .complaint_api import router as complaint_router
from .inspection_api import router as inspection_router
from .relative_api import router as relative_router
from .spotcheck_api import router as spotcheck_router

router = Router(tags=["oversight"])
for part in (complaint_router, relative_router, inspection_router, audit_router, spotcheck_router,
             anomaly_router):
    router.add_router("", part)
