"""Reads of the network, always through the actor's scope."""
from __future__ import annotations

from django.db.models import Count
from django.db.models.functions import Substr

from django.utils.translation import gettext as _

from safetynet.core.errors import NotFound
from safetynet.core.scoping import Actor, in_scope

from .models import CODE_LENGTHS, Area, Level


def areas_in_scope(actor: Actor):
    """Areas the actor may see: its own subtree (the area itself included)."""
    qs = Area.objects.all()
    if actor.is_national:
        return qs
    return qs.filter(code__startswith=actor.area_code)


def get_area(actor: Actor, code: str) -> Area:
    """One area by code; outside the actor's subtree it does not exist (404)."""
    try:
        return areas_in_scope(actor).get(code=code)
    except Area.DoesNotExist:
        raise NotFound(_("No such area in your scope: %(code)s.") % {"code": code})


def actor_area(actor: Actor) -> Area | None:
    if actor.is_national:
        return None
    return Area.objects.filter(code=actor.area_code).first()


def _child_length(code: str | None) -> int:
    if not code:
        return CODE_LENGTHS[Level.PROVINCE]
    longer = [n for n in CODE_LENGTHS.values() if n > len(code)]
    return longer[0] if longer else len(code)


def counts_by_prefix(actor: Actor, parent_code: str | None) -> dict[str, dict[str, int]]:
    """Households and people under each child of `parent_code`, grouped by code prefix
    in one query per table (no loop over children)."""
    from safetynet.registry.models import Household, Person

    length = _child_length(parent_code)
    result: dict[str, dict[str, int]] = {}
    for model, key in ((Household, "households"), (Person, "people")):
        qs = in_scope(model.objects.all(), actor)
        if parent_code:
            qs = qs.filter(area__code__startswith=parent_code)
        rows = qs.annotate(prefix=Substr("area_id", 1, length)).values("prefix").annotate(n=Count("id")).values_list("prefix", "n")
        for prefix, n in rows:
            result.setdefault(prefix, {"households": 0, "people": 0})[key] = n
    return result


def child_areas_with_counts(actor: Actor, parent_code: str | None) -> list[dict]:
    """The visible children of `parent_code` (top of the actor's scope when None), with counts."""
    if parent_code is None and not actor.is_national:
        parent_code = actor.area_code
    if parent_code:
        children = areas_in_scope(actor).filter(parent_id=parent_code)
    else:
        children = Area.objects.filter(parent__isnull=True)
    counts = counts_by_prefix(actor, parent_code)
    return [
        {"code": a.code, "name": a.name, "level": a.level, "level_label": a.get_level_display(),
         "urban_rural_class": a.urban_rural_class,
         **counts.get(a.code, {"households": 0, "people": 0})}
        for a in children.order_by("code")
    ]


def subtree_counts(actor: Actor, code: str) -> dict[str, int]:
    from safetynet.registry.models import Household, Person

    def under(qs):
        qs = in_scope(qs, actor)
        return qs.filter(area__code__startswith=code) if code else qs

    areas = areas_in_scope(actor)
    if code:
        areas = areas.filter(code__startswith=code).exclude(code=code)
    return {
        "households": under(Household.objects.all()).count(),
        "people": under(Person.objects.all()).count(),
        "areas": areas.count(),
    }
