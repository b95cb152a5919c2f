"""Turning a logged-in user (and the post they chose) into the Actor every service takes."""
from __future__ import annotations

from safetynet.core.scoping import Actor

from .models import Post
from .roles import ASSIGNED_ONLY_ROLES, PERMISSION_LABELS, ROLE_PERMISSIONS, Role

SESSION_KEY = "safetynet_post_id"


def build_actor(**fields) -> Actor:
    """An Actor carrying what its refusals and the user menu call its role and permissions
    (this app's tables: `Role`, `PERMISSION_LABELS`); core's Actor knows only the codes."""
    try:
        role_name = Role(fields["role"]).label
    except ValueError:
        role_name = ""
    return Actor(**fields, role_name=role_name, permission_names=PERMISSION_LABELS,
                 assigned_only=fields["role"] in ASSIGNED_ONLY_ROLES)


def actor_for_post(post: Post) -> Actor:
    return build_actor(
        user_id=post.user_id, username=post.user.get_username(), role=post.role, area_code=post.area_id,
        post_id=post.pk, area_name=post.area.name, permissions=ROLE_PERMISSIONS.get(post.role, frozenset()),
    )


def superuser_actor(user) -> Actor:
    return build_actor(user_id=user.pk, username=user.get_username(), role=Role.SUPERUSER, area_code="",
                 post_id=None, area_name="", permissions=ROLE_PERMISSIONS[Role.SUPERUSER])


def active_posts(user):
    return Post.objects.filter(user=user, is_active=True).select_related("area", "user").order_by("id")


def actor_for_user(user, post_id: int | None = None) -> Actor | None:
    """The actor for `user`: the chosen post when it is theirs, else their first post; superusers
    without a chosen post act nationally. None when the user holds no post at all."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    posts = active_posts(user)
    if post_id:
        post = posts.filter(pk=post_id).first()
        if post:
            return actor_for_post(post)
    if user.is_superuser:
        return superuser_actor(user)
    post = posts.first()
    return actor_for_post(post) if post else None


def system_actor() -> Actor:
    """For commands and jobs run by the system itself (migrations, demo generation)."""
    return build_actor(user_id=None, username="system", role=Role.SUPERUSER, area_code="", permissions=ROLE_PERMISSIONS[Role.SUPERUSER])
