"""Reads of the network, always through the actor's scope, and only for posts holding
"areas.view" (every staff role): a department's login or an institution's post, which hold no
such permission, reads no area and no count of households or people (403)."""
from __future__ import annotations

from django.db.models import Count, Q
from django.db.models.functions import Substr

from django.utils.translation import gettext as _

from safetynet.core.errors import NotFound
from safetynet.core.scoping import Actor, in_scope

from .models import CODE_LENGTHS, Area, Level


VIEW = "areas.view"


def areas_in_scope(actor: Actor):
    """Areas the actor may see: its own subtree (the area itself included)."""
    actor.require(VIEW)
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

    actor.require(VIEW)
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


def child_areas_with_counts(actor: Actor, parent_code: str | None, counts: dict | None = None) -> list[dict]:
    """The visible children of `parent_code` (top of the actor's scope when None), with counts
    (`counts`: `counts_by_prefix` for the same parent, when the caller already has it)."""
    if parent_code is None and not actor.is_national:
        parent_code = actor.area_code
    if parent_code:
        children = areas_in_scope(actor).filter(parent_id=parent_code)
    else:
        children = Area.objects.filter(parent__isnull=True)
    if counts is None:
        counts = counts_by_prefix(actor, parent_code)
    below = grandchild_counts(actor, parent_code)
    return [
        {"code": a.code, "name": a.name, "level": a.level, "level_label": a.get_level_display(),
         "urban_rural_class": a.urban_rural_class, "children": below.get(a.code, 0),
         **counts.get(a.code, {"households": 0, "people": 0})}
        for a in children.order_by("code")
    ]


def grandchild_counts(actor: Actor, parent_code: str | None) -> dict[str, int]:
    """How many areas sit directly under each child of `parent_code`, in one grouped query,
    so the tree offers to expand only the nodes that have something below."""
    qs = areas_in_scope(actor)
    if parent_code:
        qs = qs.filter(parent__parent_id=parent_code)
    else:
        qs = qs.filter(parent__parent__isnull=True, parent__isnull=False)
    return dict(qs.order_by().values("parent_id").annotate(n=Count("code")).values_list("parent_id", "n"))


def area_overview(actor: Actor, code: str) -> tuple[dict[str, int], list[dict]]:
    """(subtree counts, children with counts) of `code` ("" for the top of the actor's scope),
    from one grouped query per table: every household and person under `code` falls in one of
    the groups, so the subtree's totals are their sums (the home page and the tree otherwise
    counted each table twice; bench/bench_queue.py)."""
    parent_code = code or (None if actor.is_national else actor.area_code)
    by_prefix = counts_by_prefix(actor, parent_code)
    areas = areas_in_scope(actor)
    if code:
        areas = areas.filter(code__startswith=code).exclude(code=code)
    counts = {"households": sum(c["households"] for c in by_prefix.values()),
              "people": sum(c["people"] for c in by_prefix.values()), "areas": areas.count()}
    return counts, child_areas_with_counts(actor, code or None, by_prefix)


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


def search_areas(actor: Actor, *, q: str = "", level: str = "", parent: str = ""):
    """Areas in scope whose name contains `q` or whose code starts with it, optionally of one
    level or directly under one parent (which must itself be in scope: NotFound otherwise)."""
    qs = areas_in_scope(actor)
    if parent:
        get_area(actor, parent)
        qs = qs.filter(parent_id=parent)
    if level:
        qs = qs.filter(level=level)
    q = (q or "").strip()
    if q:
        condition = Q(name__icontains=q)
        if q.isascii() and q.isdigit():
            condition |= Q(code__startswith=q)
        qs = qs.filter(condition)
    return qs.order_by("code")


def breadcrumb(actor: Actor, area: Area) -> list[dict]:
    """The area's ancestors from the top down, each marked whether the actor may open it:
    ancestors above the actor's own area are named for orientation but are not links."""
    codes = area.ancestor_codes()
    names = dict(Area.objects.filter(code__in=codes).values_list("code", "name"))
    return [{"code": c, "name": names.get(c, c), "in_scope": actor.covers(c)} for c in codes if c in names]


def area_summary(actor: Actor, code: str) -> dict:
    """One area in scope with the households and people under it (API detail, tree header)."""
    area = get_area(actor, code)
    counts = subtree_counts(actor, area.code)
    return {"area": area, **counts}


def villages_without_class(actor: Actor, code: str = ""):
    """Villages in scope (under `code` when given) whose urban-rural class is unknown: imported
    without one, they need it before a standard can apply to them (ADR 0006)."""
    qs = areas_in_scope(actor).filter(level=Level.VILLAGE, urban_rural_class="")
    return qs.filter(code__startswith=code) if code else qs


def page_after(qs, *, after: str = "", offset: int = 0, limit: int) -> tuple[list, str | None]:
    """One page of `qs` in code order from after the code `after` (keyset: the index is entered
    at the cursor, so page 12,000 costs what page 1 does, where OFFSET walks every row before it;
    `offset` is for the first pages only), and the cursor of the next page (None on the last)."""
    if after:
        qs = qs.filter(code__gt=after)
    rows = list(qs.order_by("code")[offset:offset + limit + 1])
    return rows[:limit], (rows[limit - 1].code if len(rows) > limit else None)
