"""The API of active discovery (`/api/v1/discovery/`): each part's router, joined."""
from ninja import Router

from .warning_api import router as warning_router

router = Router(tags=["discovery"])
router.add_router("", warning_router)
