"""API authentication: the session scheme, and the hash a bearer token is stored by. The bearer
scheme reads the tokens and posts of areas: `areas/apiauth.py` (core imports nothing of the project)."""
from __future__ import annotations

import hashlib

from ninja.security import APIKeyCookie


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class SessionActorAuth(APIKeyCookie):
    """The browser's session; ninja checks CSRF for unsafe methods."""

    param_name = "sessionid"

    def authenticate(self, request, key):
        actor = getattr(request, "actor", None)
        if request.user.is_authenticated and actor:
            return actor
        return None
