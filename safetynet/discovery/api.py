"""The API of active discovery (`/api/v1/discovery/`): each part's router, joined."""
from ninja import Router

from .lead_api import router as lead_router

router = Router(tags=["discovery"])
router.add_router("", lead_router)
