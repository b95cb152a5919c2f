"""Who a management command of the enrollments and payroll apps acts as, when run with --as
USERNAME (`safetynet triggers`, `safetynet payroll`)."""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from safetynet.areas.actors import active_posts, actor_for_post


def actor_for_username(username: str, permission: str, area_code: str = ""):
    """The user's post that holds `permission` (and covers `area_code`, when given)."""
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"No active user {username!r}.")
    for post in active_posts(user):
        actor = actor_for_post(post)
        if actor.can(permission) and (not area_code or actor.covers(area_code)):
            return actor
    raise CommandError(f"{username} holds no post that may {permission} here.")
