"""The API of medical assistance (`/api/v1/medical/`).

Staff endpoints (session or bearer token, a post's permission and area) are each part's router;
the institution-facing endpoints under `/api/v1/medical/institution/` (one-stop settlement,
reversal, monthly claims) authenticate with the institution's key (`keys.InstitutionKeyAuth`)
and see only that institution's own settlements.
"""
from ninja import Router

from .admin_api import router as admin_router
from .claim_api import router as claim_router
from .keys import InstitutionKeyAuth
from .reimbursement_api import router as reimbursement_router
from .settlement_api import router as settlement_router
from .statement_api import router as statement_router

router = Router(tags=["medical"])
for part in (admin_router, statement_router, reimbursement_router):
    router.add_router("", part)

institution_router = Router(tags=["medical: designated institutions"], auth=InstitutionKeyAuth())
for part in (settlement_router, claim_router):
    institution_router.add_router("", part)
