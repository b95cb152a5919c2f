"""Roles (DESIGN.md §1) and what each may do. The one table every permission check reads."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    GRID_WORKER = "grid_worker", _("grid worker")
    VILLAGE_CADRE = "village_cadre", _("village cadre")
    TOWN_WORKER = "town_worker", _("town worker")
    TOWN_LEADER = "town_leader", _("town leader")
    COUNTY_OFFICER = "county_officer", _("county officer")
    COUNTY_LEADER = "county_leader", _("county leader")
    INSPECTOR = "inspector", _("inspector")
    PROVIDER_WORKER = "provider_worker", _("provider worker")
    INSTITUTION = "institution", _("institution")
    SUPERUSER = "superuser", _("system administrator")


PERMISSION_LABELS = {
    "areas.view": _("view the network"),
    "areas.import": _("import division codes"),
    "areas.edit": _("edit areas"),
    "posts.manage": _("manage staff posts"),
    "registry.view": _("view households"),
    "registry.edit": _("create or edit households"),
    "registry.import": _("import household rosters"),
    "registry.view_id_number": _("see whole ID numbers"),
    "calendar.edit": _("edit the working-day calendar"),
    "audit.view": _("read the audit ledger"),
}

_READ = {"areas.view", "registry.view"}
ROLE_PERMISSIONS: dict[str, frozenset] = {
    Role.GRID_WORKER: frozenset(_READ),
    Role.VILLAGE_CADRE: frozenset(_READ),
    Role.TOWN_WORKER: frozenset(_READ | {"registry.edit", "registry.import", "registry.view_id_number"}),
    Role.TOWN_LEADER: frozenset(_READ | {"registry.view_id_number"}),
    Role.COUNTY_OFFICER: frozenset(_READ | {"registry.edit", "registry.import", "registry.view_id_number",
                                            "areas.import", "areas.edit", "posts.manage", "calendar.edit", "audit.view"}),
    Role.COUNTY_LEADER: frozenset(_READ | {"registry.view_id_number", "audit.view"}),
    Role.INSPECTOR: frozenset(_READ | {"audit.view"}),
    Role.PROVIDER_WORKER: frozenset(),
    Role.INSTITUTION: frozenset(),
    Role.SUPERUSER: frozenset(PERMISSION_LABELS),
}


def role_label(role: str) -> str:
    try:
        return str(Role(role).label)
    except ValueError:
        return role


def permission_label(permission: str) -> str:
    return str(PERMISSION_LABELS.get(permission, permission))
