"""The API of active discovery (`/api/v1/discovery/`): each part's router, joined."""
from ninja import Router

from .lead_api import router as lead_router
from .referral_api import router as referral_router
from .report_api import router as report_router
from .warning_api import router as warning_router

router = Router(tags=["discovery"])
router.add_router("", report_router)
router.add_router("", lead_router)
router.add_router("", referral_router)
router.add_router("", warning_router)
