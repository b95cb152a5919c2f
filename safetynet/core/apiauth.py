"""API authentication: both schemes resolve to an Actor, set on request.actor."""
from __future__ import annotations

import hashlib

from django.utils import timezone
from ninja.security import APIKeyCookie, HttpBearer


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class BearerTokenAuth(HttpBearer):
    def authenticate(self, request, token):
        from safetynet.areas.actors import actor_for_post, actor_for_user
        from safetynet.areas.models import ApiToken

        row = (
            ApiToken.objects.select_related("user", "post__area", "post__user")
            .filter(token_hash=hash_token(token), revoked_at__isnull=True, user__is_active=True)
            .first()
        )
        if row is None:
            return None
        actor = actor_for_post(row.post) if row.post_id and row.post.is_active else actor_for_user(row.user)
        if actor is None:
            return None
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=timezone.now())
        request.actor = actor
        request.user = row.user
        return actor


class SessionActorAuth(APIKeyCookie):
    """The browser's session; ninja checks CSRF for unsafe methods."""

    param_name = "sessionid"

    def authenticate(self, request, key):
        actor = getattr(request, "actor", None)
        if request.user.is_authenticated and actor:
            return actor
        return None
