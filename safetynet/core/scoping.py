"""Scope: a post sees its area's subtree and nothing else (DESIGN.md §1, §5).

Area codes are prefixes of their descendants' codes (DESIGN.md §4), so the subtree is one
indexed `startswith`. Every selector narrows its queryset with `in_scope`; objects fetched by id
go through `get_in_scope`, which answers NotFound (404) for anything outside, never 403.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache

from django.conf import settings
from django.db.models import Model, QuerySet
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from .errors import NotFound, PermissionDenied


@dataclass(frozen=True)
class Actor:
    """Who acts: a user through one of their posts. Superusers act with national scope."""

    user_id: int | None
    username: str
    role: str
    area_code: str  # "" = national
    post_id: int | None = None
    area_name: str = ""
    permissions: frozenset = field(default_factory=frozenset)
    # What a refusal and the user menu call the role and each permission, in the reader's language
    # (lazy strings). The post's app gives them when it builds the actor (areas/actors.py: roles are
    # areas' table); an actor built without them shows the codes. Not part of equality.
    role_name: object = field(default="", compare=False, repr=False)
    permission_names: Mapping[str, object] = field(default_factory=dict, compare=False, repr=False)
    # A post that sees only the work assigned to it by name (a purchased service's worker, issue 19):
    # `in_scope` narrows every queryset further through `settings.ASSIGNED_WORK_SCOPE`.
    assigned_only: bool = False

    @property
    def is_national(self) -> bool:
        return self.area_code == ""

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    def require(self, permission: str) -> None:
        if permission not in self.permissions:
            what = str(self.permission_names.get(permission, permission))
            raise PermissionDenied(
                _("Your post (%(role)s) may not %(what)s.") % {"role": self.role_label, "what": what},
                code="forbidden",
            )

    @property
    def role_label(self) -> str:
        return str(self.role_name) if self.role_name else self.role

    def covers(self, area_code: str) -> bool:
        return area_code.startswith(self.area_code)

    def require_area(self, area_code: str) -> None:
        """Writes aimed at an area outside scope are refused as if the area did not exist."""
        if not self.covers(area_code or ""):
            raise NotFound(_("No such area in your scope: %(code)s.") % {"code": area_code}, field="area")


def in_scope(queryset: QuerySet, actor: Actor, area_path: str = "area") -> QuerySet:
    """Narrow `queryset` to rows whose area (reached by `area_path`) lies under the actor's area.

    `area_path` names the foreign key to Area (whose primary key is its code), e.g. "area" or
    "household__area"; the filter is `<path>__code__startswith=<code>`, which Django turns into a LIKE on the local column (no join).

    An actor that sees only its assigned work (`assigned_only`) is narrowed further by the function
    `settings.ASSIGNED_WORK_SCOPE` names (the app that keeps assignments, above core, supplies it
    as `AUTH_USER_MODEL` names the user model); it answers nothing for a table it does not know."""
    if not actor.is_national:
        queryset = queryset.filter(**{f"{area_path}__code__startswith": actor.area_code})
    if actor.assigned_only:
        queryset = assigned_work_scope()(queryset, actor)
    return queryset


@cache
def assigned_work_scope():
    return import_string(settings.ASSIGNED_WORK_SCOPE)


def get_in_scope(queryset: QuerySet, actor: Actor, area_path: str = "area", **lookup) -> Model:
    try:
        return in_scope(queryset, actor, area_path).get(**lookup)
    except queryset.model.DoesNotExist:
        raise NotFound(_("Not found."))
