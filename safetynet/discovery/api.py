"""The API of active discovery (`/api/v1/discovery/`): each part's router, joined."""
from ninja import Router

router = Router(tags=["discovery"])
