"""Reads of the network, always through the actor's scope, and only for posts holding
"areas.view" (every staff role): a department's login or an institution's post, which hold no
such permission, reads no area and no count of households or people (403)."""
from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.db.models import Count, Q
from django.db.models.functions import Substr

from django.utils.translation import gettext as _

from safetynet.core.errors import NotFound, ValidationError
from safetynet.core.scoping import Actor, in_scope
from safetynet.core.text import clean_text, normalise_text

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


def counted_models() -> list[tuple[str, type]]:
    """The tables counted under each area, as (key, model): those `settings.AREA_COUNTED_MODELS`
    names by app label (households and people). The registry is above areas in the import order
    (docs/architecture.md), so the project names them, as AUTH_USER_MODEL names the user model."""
    return [(key, apps.get_model(label)) for key, label in settings.AREA_COUNTED_MODELS.items()]


def _no_counts() -> dict[str, int]:
    return dict.fromkeys(settings.AREA_COUNTED_MODELS, 0)


def counts_by_prefix(actor: Actor, parent_code: str | None) -> dict[str, dict[str, int]]:
    """Households and people under each child of `parent_code`, grouped by code prefix
    in one query per table (no loop over children)."""
    actor.require(VIEW)
    length = _child_length(parent_code)
    result: dict[str, dict[str, int]] = {}
    for key, model in counted_models():
        qs = in_scope(model.objects.all(), actor)
        if parent_code:
            qs = qs.filter(area__code__startswith=parent_code)
        rows = qs.annotate(prefix=Substr("area_id", 1, length)).values("prefix").annotate(n=Count("id")).values_list("prefix", "n")
        for prefix, n in rows:
            result.setdefault(prefix, _no_counts())[key] = n
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
         **counts.get(a.code, _no_counts())}
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
    counts = {key: sum(c[key] for c in by_prefix.values()) for key in settings.AREA_COUNTED_MODELS}
    counts["areas"] = areas.count()
    return counts, child_areas_with_counts(actor, code or None, by_prefix)


def subtree_counts(actor: Actor, code: str) -> dict[str, int]:
    def under(qs):
        qs = in_scope(qs, actor)
        return qs.filter(area__code__startswith=code) if code else qs

    areas = areas_in_scope(actor)
    if code:
        areas = areas.filter(code__startswith=code).exclude(code=code)
    return {**{key: under(model.objects.all()).count() for key, model in counted_models()}, "areas": areas.count()}


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


# --- choosing an area by search (one widget everywhere: areas/forms.AreaField) -----------------

SUGGESTION_LIMIT = 15


def area_labels(codes) -> dict[str, str]:
    """Each code's name after its town and village (two villages of one name in different towns
    told apart), and its code: "正定镇 · 东关村 (130123100001)"; one query."""
    codes = [c for c in codes if c]
    wanted = {c[:n] for c in codes for n in (9, 12, 15, 18) if n <= len(c)} | set(codes)
    names = dict(Area.objects.filter(code__in=wanted).values_list("code", "name"))
    labels = {}
    for code in codes:
        if code not in names:
            continue
        parents = [names[code[:n]] for n in (9, 12, 15) if n < len(code) and code[:n] in names]
        labels[code] = f"{' · '.join([*parents, names[code]])} ({code})"
    return labels


def area_suggestions(actor: Actor, q: str, levels) -> list[tuple[str, str]]:
    """At most SUGGESTION_LIMIT areas in scope, of `levels`, whose name contains `q` or whose
    code starts with it, as (code, label)."""
    q = normalise_text(q)[:50]
    if not q:
        return []
    codes = list(search_areas(actor, q=q).filter(level__in=list(levels), is_active=True)
                 .values_list("code", flat=True)[:SUGGESTION_LIMIT])
    labels = area_labels(codes)
    return [(code, labels[code]) for code in codes if code in labels]


def resolve_area_input(actor: Actor, text: str, levels, *, field: str = "area") -> Area:
    """The one area meant by what was typed or picked: a code (from the list, or typed), or a
    name that only one area of `levels` in scope has. Outside the scope an area does not exist
    (NotFound); several of one name, or none, say so."""
    text = clean_text(text, field=field, max_length=100)
    level_names = " / ".join(str(Level(level).label) for level in levels)
    if not text:
        raise ValidationError(_("Type the name or the code of a %(levels)s.") % {"levels": level_names}, field=field)
    code = text.split(" ", 1)[0].strip("()")
    if code.isascii() and code.isdigit():
        if not actor.is_national and not code.startswith(actor.area_code):
            raise NotFound(_("No such area in your scope: %(code)s.") % {"code": code}, field=field)
        area = Area.objects.filter(code=code, is_active=True).first()
        if area is None:
            raise NotFound(_("No such area in your scope: %(code)s.") % {"code": code}, field=field)
    else:
        qs = areas_in_scope(actor).filter(level__in=list(levels), is_active=True)
        found = list(qs.filter(name=text)[:2]) or list(qs.filter(name__icontains=text)[:2])
        if not found:
            raise ValidationError(_("No %(levels)s in your area is named “%(text)s”.") % {"levels": level_names, "text": text},
                                  field=field)
        if len(found) > 1:
            raise ValidationError(_("Several areas match “%(text)s”: choose one from the list, or type its code.")
                                  % {"text": text}, field=field)
        area = found[0]
    if area.level not in levels:
        raise ValidationError(_("%(name)s is a %(level)s: choose a %(levels)s.") % {
            "name": area.name, "level": area.get_level_display(), "levels": level_names}, field=field)
    return area
