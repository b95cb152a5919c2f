"""Reads of the workforce register, through the actor's scope."""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from safetynet.areas.models import Area, Level, Post
from safetynet.core.errors import ValidationError
from safetynet.core.idnumbers import parse_id_number
from safetynet.core.masking import mask_id_number
from safetynet.core.scoping import Actor, get_in_scope, in_scope
from safetynet.core.text import clean_text, normalise_text

from .models import Employment, Qualification, StaffIdentity

VIEW = "workforce.view"
WHOLE_ID = "registry.view_id_number"

INVESTIGATOR_CHOICES_LIMIT = 200


def staff_identities_in_scope(actor: Actor, *, active_only: bool = True) -> QuerySet[StaffIdentity]:
    qs = in_scope(StaffIdentity.objects.select_related("area"), actor)
    return qs.filter(is_active=True) if active_only else qs


def staff_register(actor: Actor, *, town: str = "", employment: str = "", q: str = "",
                   active_only: bool = True) -> QuerySet[StaffIdentity]:
    """The register a post reads (`workforce.view`): its area's staff, narrowed to a town, an
    employment, and a name or its beginning (or an ID number's beginning)."""
    actor.require(VIEW)
    qs = staff_identities_in_scope(actor, active_only=active_only)
    if town:
        qs = qs.filter(area__code__startswith=town)
    if employment:
        qs = qs.filter(employment=employment)
    q = normalise_text(q).replace(" ", "")[:50]
    if q:
        qs = qs.filter(Q(name__startswith=q) | Q(name__contains=q) | Q(id_number__startswith=q.upper()))
    return qs.order_by("area_id", "name", "id")


def get_staff(actor: Actor, staff_id: int) -> StaffIdentity:
    actor.require(VIEW)
    return get_in_scope(StaffIdentity.objects.select_related("area", "user"), actor, pk=staff_id)


def towns_for(actor: Actor) -> list[tuple[str, str]]:
    """The towns a post may filter by (a town's post: its own)."""
    code = actor.area_code
    qs = Area.objects.filter(level=Level.TOWN)
    if code:
        qs = qs.filter(code__startswith=code[:9] if len(code) >= 9 else code)
    return list(qs.order_by("code").values_list("code", "name")[:500])


def checked_filters(actor: Actor, *, town: str = "", employment: str = "") -> tuple[str, str]:
    """A town outside the post's area is "no such town" (404); an unknown employment is ignored
    by pages and refused by the API's schema."""
    town = (town or "").strip()
    if town:
        actor.require_area(town)
    employment = employment if employment in Employment.values else ""
    return town, employment


def shown_id_number(actor: Actor, number: str) -> str:
    """Whole for a post that may see ID numbers, masked otherwise (DESIGN.md §5)."""
    return number if actor.can(WHOLE_ID) else mask_id_number(number)


def posts_of(identity: StaffIdentity) -> list[Post]:
    """The active posts of the identity's login (none without one)."""
    if identity.user_id is None:
        return []
    return list(Post.objects.filter(user_id=identity.user_id, is_active=True).select_related("area").order_by("id"))


def qualifications_of(actor: Actor, identity: StaffIdentity) -> QuerySet[Qualification]:
    actor.require(VIEW)
    return in_scope(Qualification.objects.filter(staff_identity=identity), actor)


def investigator_choices(actor: Actor, area_code: str) -> tuple[list[tuple[str, str]], list[int]]:
    """Who may be ticked as an investigator of a household in `area_code`: the registered staff,
    village committee members and grid workers of its county, town, village, group and grid as far
    as the post sees them,
    plus the worker's own identity (wherever it sits); and the worker's own identity ids, ticked
    by default (the one who visits is usually the one who records)."""
    codes = [area_code[:n] for n in (6, 9, 12, 15, 18) if len(area_code) >= n]
    own = list(StaffIdentity.objects.filter(user_id=actor.user_id, is_active=True).values_list("id", flat=True)) \
        if getattr(actor, "user_id", None) else []
    fields = ("id", "name", "area__name")
    mine = list(StaffIdentity.objects.filter(id__in=own).values_list(*fields))
    rows = (staff_identities_in_scope(actor).filter(area_id__in=codes).exclude(id__in=own)
            .order_by("area_id", "name").values_list(*fields)[:INVESTIGATOR_CHOICES_LIMIT])
    return [(str(pk), f"{name} · {area}") for pk, name, area in [*mine, *rows]], own


def resolve_investigators(items, *, actor: Actor) -> list[dict]:
    """The people a home visit names, as {"name", "id_number", "user_id", "staff_identity_id"}, one
    per person (an ID number once): items are {"user_id"} (a login with a registered identity),
    {"staff_identity_id"} or {"name", "id_number"} typed. The one reading shared by a case's
    survey and a re-check's; each caller adds its own checks (how many, not related).

    A registered person is named only from the actor's own identity or the register in the
    actor's scope (what the picker offers): another area's staff is "no such staff member"."""
    if not isinstance(items, (list, tuple)):
        raise ValidationError(_("List the investigators."), field="investigators")
    user_ids, identity_ids, named = [], [], []
    for item in items:
        if not isinstance(item, dict):
            raise ValidationError(_("List the investigators."), field="investigators")
        if item.get("user_id"):
            user_ids.append(int(item["user_id"]))
        elif item.get("staff_identity_id"):
            identity_ids.append(int(item["staff_identity_id"]))
        else:
            name = clean_text(item.get("name"), field="investigators")
            if not name:
                raise ValidationError(_("This field is required."), field="investigators")
            if len(name) > 50:
                raise ValidationError(_("At most %(n)d characters.") % {"n": 50}, field="investigators")
            number = parse_id_number(item.get("id_number") or "", field="investigators").number
            named.append({"name": name, "id_number": number, "user_id": None, "staff_identity_id": None})
    resolved: list[dict] = []
    if user_ids or identity_ids:
        visible = Q(pk__in=staff_identities_in_scope(actor).values("pk"))
        if getattr(actor, "user_id", None):
            visible |= Q(user_id=actor.user_id)
        found = list(StaffIdentity.objects.filter(Q(user_id__in=user_ids) | Q(pk__in=identity_ids), is_active=True)
                     .filter(visible).values("id", "user_id", "name", "id_number"))
        by_user = {f["user_id"]: f for f in found if f["user_id"]}
        by_id = {f["id"]: f for f in found}
        for uid in user_ids:
            if uid not in by_user:
                raise ValidationError(_("An investigator's login is not registered as staff (with an ID number): register them first."),
                                      field="investigators")
            f = by_user[uid]
            resolved.append({"name": f["name"], "id_number": f["id_number"], "user_id": uid, "staff_identity_id": f["id"]})
        for iid in identity_ids:
            if iid not in by_id:
                raise ValidationError(_("No such staff member."), field="investigators")
            f = by_id[iid]
            resolved.append({"name": f["name"], "id_number": f["id_number"], "user_id": f["user_id"], "staff_identity_id": iid})
    distinct: dict[str, dict] = {}
    for r in resolved + named:
        distinct.setdefault(r["id_number"], r)
    return list(distinct.values())


def user_id_for(username: str) -> int:
    """The login a register entry links to, by its user name (a refusal naming `user` if none)."""
    user_id = get_user_model().objects.filter(username=(username or "").strip()).values_list("pk", flat=True).first()
    if user_id is None:
        raise ValidationError(_("No login with the user name %(name)s.") % {"name": (username or "").strip()[:50]},
                              field="user")
    return user_id
