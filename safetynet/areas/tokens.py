"""API tokens for programs: issued once, kept only as a SHA-256 hash."""
from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from safetynet.core.apiauth import hash_token
from safetynet.core.audit import record_event
from safetynet.core.errors import NotFound, ValidationError
from safetynet.core.scoping import Actor

from .models import ApiToken, Post

TOKEN_PREFIX = "sn_"


@transaction.atomic
def issue_api_token(*, actor: Actor, username: str, name: str = "", post_id: int | None = None) -> tuple[ApiToken, str]:
    """Create a token for `username`; returns the row and the secret, which is never stored."""
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise NotFound(_("No user named %(u)s.") % {"u": username}, field="username")
    post = None
    if post_id is not None:
        post = Post.objects.filter(pk=post_id, user=user, is_active=True).first()
        if post is None:
            raise ValidationError(_("Post %(p)s is not one of %(u)s's active posts.") % {"p": post_id, "u": username}, field="post")
    elif not user.is_superuser and not Post.objects.filter(user=user, is_active=True).exists():
        raise ValidationError(_("%(u)s holds no post: a token would have no scope.") % {"u": username}, field="username")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, post=post, name=name, prefix=secret[:10], token_hash=hash_token(secret))
    record_event(actor=actor, action="areas.issue_api_token", obj=token, after={"user": username, "post": post_id, "name": name})
    return token, secret


@transaction.atomic
def revoke_api_token(*, actor: Actor, prefix: str) -> int:
    rows = list(ApiToken.objects.filter(prefix=prefix, revoked_at__isnull=True))
    for token in rows:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record_event(actor=actor, action="areas.revoke_api_token", obj=token)
    return len(rows)
