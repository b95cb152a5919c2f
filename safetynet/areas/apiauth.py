"""API authentication by bearer token: the token's post (or its user's first post) as the Actor,
set on request.actor. The session scheme is core's (`core/apiauth.py`)."""
from __future__ import annotations

from django.utils import timezone
from ninja.security import HttpBearer

from safetynet.core.apiauth import hash_token

from .actors import actor_for_post, actor_for_user
from .models import ApiToken


class BearerTokenAuth(HttpBearer):
    def authenticate(self, request, token):
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
